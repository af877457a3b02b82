"""Every item of every SOURCE ingested, `--jobs` items at once: an item already in the archive
is ingested from its own copy, a new one after its download (sources/listing.py)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError, UsageError
from bitesearch.ingest.recording import IngestOptions, Origin, Progress, ingest
from bitesearch.models import IngestReport
from bitesearch.sources.common import Item, SourceOptions
from bitesearch.sources.fetch import ByteProgress
from bitesearch.sources.listing import dry_run_status, expand, fetch_item


def ingest_item(
    archive: Archive,
    item: Item,
    options: IngestOptions,
    source_options: SourceOptions,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest one item: from the archive's own copy when it has one, else after downloading."""
    if item.error:
        raise BitesearchError(item.error)
    origin = _origin(item, source_options)
    if item.kind == "file":
        return ingest(archive, Path(item.location), options, progress, origin)
    known = archive.find_by_item(item.id)
    if known and known.source.file:
        folder = archive.edition_dir(known.id)
        kept = folder / known.source.file
        if kept.is_file():  # already downloaded: nothing is fetched again
            captions = origin.captions or _kept_captions(folder, known.source.captions)
            origin = replace(
                origin, sha256=known.source.sha256, duration=known.source.duration,
                captions=captions,
            )  # fmt: skip
            return ingest(archive, kept, options, progress, origin)
    began = time.perf_counter()
    path, captions = fetch_item(archive, item, source_options, _bytes(progress))
    fetched = time.perf_counter() - began
    origin = replace(origin, consume=True, captions=origin.captions or captions)
    report = ingest(archive, path, options, progress, origin)
    report.stages["download"] = round(report.stages.get("download", 0.0) + fetched, 3)
    return report


def _kept_captions(folder: Path, name: str) -> Path | None:
    return folder / name if name and (folder / name).is_file() else None


def _origin(item: Item, options: SourceOptions) -> Origin:
    programme = options.programme or item.programme
    return Origin(
        name=item.link or item.location if item.kind != "file" else "",
        item=item.id,
        url=item.location if item.kind != "file" else "",
        title=item.title,
        date=item.date,
        description=item.description,
        chapters=tuple(item.chapters),
        programme=programme,
        authoritative=options.programme is not None,
        captions=options.transcript,
    )


def _bytes(progress: Progress | None) -> ByteProgress | None:
    """Download progress (bytes) through the ingest progress callback, as the download stage."""
    if progress is None:
        return None
    report = progress

    def update(done: int, total: int | None) -> None:
        report("download", float(done), float(total or 0))

    return update


def report_for(item: Item, status: str, error: str = "") -> IngestReport:
    """A summary row for an item that was not ingested (dry run, refused, failed)."""
    number = item.programme.edition if item.programme else None
    return IngestReport(
        source=item.link or item.location, edition_id="", edition=number, duration=0.0,
        talks=0, passages=0, method="", status=status, item=item.id,
        title=item.title or item.location, error=error, warnings=list(item.warnings),
    )  # fmt: skip


def _one_edition(
    source: str, items: list[Item], options: IngestOptions, source_options: SourceOptions
) -> None:
    """--programme, --page and --transcript describe one edition: not a whole feed."""
    if len(items) > 1 and (
        options.programme or source_options.programme or source_options.transcript
    ):
        raise UsageError(
            f"--programme, --page and --transcript describe one edition, but {source} has "
            f"{len(items)} items: add --limit 1, or ingest the feed without them"
        )


def ingest_sources(
    archive: Archive,
    sources: list[str],
    options: IngestOptions,
    source_options: SourceOptions,
    progress_for: Any,
    jobs: int = 1,
) -> Iterator[IngestReport]:
    """Every item of every source, ingested (or listed, for a dry run), `jobs` items at once,
    reported in order; a failed item is reported with status "failed" and the others go on.
    A lone item's error is raised."""
    lone = len(sources) == 1
    work = _work(archive, sources, options, source_options, progress_for, lone)
    if jobs <= 1:
        for task in work:
            yield task()
        return
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        waiting: deque[Future[IngestReport]] = deque()
        for task in work:
            waiting.append(pool.submit(task))
            if len(waiting) >= jobs:  # at most `jobs` items (and their audio) in flight
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


def _work(
    archive: Archive,
    sources: list[str],
    options: IngestOptions,
    source_options: SourceOptions,
    progress_for: Any,
    lone: bool,
) -> Iterator[Callable[[], IngestReport]]:
    """A task per item of every source, each returning the item's report."""
    for source in sources:
        try:
            items = expand(source, source_options)
        except BitesearchError as exc:
            if lone:
                raise
            yield partial(report_for, Item("", "file", source), "failed", str(exc))
            continue
        _one_edition(source, items, options, source_options)
        for item in items:
            if source_options.dry_run:
                yield partial(report_for, item, dry_run_status(archive, item))
                continue
            yield partial(
                _ingest_or_report, archive, item, options, source_options, progress_for,
                lone and len(items) == 1,
            )  # fmt: skip


def _ingest_or_report(
    archive: Archive,
    item: Item,
    options: IngestOptions,
    source_options: SourceOptions,
    progress_for: Any,
    lone: bool,
) -> IngestReport:
    try:
        report = ingest_item(archive, item, options, source_options, progress_for(item))
        report.warnings[:0] = item.warnings  # what the listing noticed (a feed cut short)
        return report
    except BitesearchError as exc:
        if lone:
            raise
        return report_for(item, "failed", str(exc))
