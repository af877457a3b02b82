"""What `ingest` is given, turned into source items with stable ids, and each item ingested.

A SOURCE is a local file (audio, video, or a transcript), an http(s) URL of a media file, a
podcast feed, or a page yt-dlp knows (YouTube, SoundCloud, a page with a <video>). Each item
has a stable id (the feed's guid or enclosure URL, yt-dlp's id, the content hash of a file),
recorded in edition.json, so a second run finds the edition without downloading anything, and
a download interrupted by a crash resumes from its .part file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from bitesearch.archive import Archive
from bitesearch.audio import probe, sha256_file
from bitesearch.errors import BitesearchError, UsageError
from bitesearch.fetch import ByteProgress, FetchOptions, check_url, download, is_url, peek
from bitesearch.ingest import IngestOptions, IngestReport, Origin, Progress, ingest
from bitesearch.models import Programme

MEDIA_SUFFIXES = (
    ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4", ".m4v", ".webm",
    ".mkv", ".mov",
)  # fmt: skip


@dataclass
class Item:
    """One recording a source names: where to get it and what is known about it."""

    id: str  # stable: "feed:<guid>", "youtube:<id>", "url:<url>"; "" for a local file
    kind: str  # "file", "url" (a media file over http) or "media" (through yt-dlp)
    location: str  # a local path, or the URL to fetch or hand to yt-dlp
    title: str = ""
    date: str = ""  # YYYY-MM-DD
    description: str = ""
    link: str = ""  # the public page (or file) a hit links to
    chapters: list[dict[str, Any]] = field(default_factory=list)
    programme: Programme | None = None
    info: dict[str, Any] | None = None  # yt-dlp's full info, when the listing already has it
    error: str = ""  # refused while listing (e.g. a file:// enclosure): reported, not ingested


@dataclass(frozen=True)
class SourceOptions:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    since: dt.date | None = None
    limit: int | None = None
    captions: bool = False  # use captions yt-dlp finds instead of transcribing
    transcript: Path | None = None  # a transcript file beside one recording
    programme: Programme | None = None  # from --page: the edition's programme
    dry_run: bool = False


def expand(source: str, options: SourceOptions) -> list[Item]:
    """The items a SOURCE names, bounded by --since and --limit."""
    if not is_url(source):
        return [Item(id="", kind="file", location=source)]
    check_url(source)
    from bitesearch import media

    if media.is_platform(source):
        items = media.items(source, options.fetch)
    else:
        items = _by_content(source, options)
    return bound(items, options.since, options.limit)


def _by_content(url: str, options: SourceOptions) -> list[Item]:
    """A media file, a feed, or a web page (for yt-dlp), told apart by what the server sends."""
    from bitesearch import feeds, media
    from bitesearch.fetch import fetch_bytes

    if _suffix(url) in MEDIA_SUFFIXES:
        return [_url_item(url)]
    content_type, head = peek(url, options.fetch)
    if content_type.startswith(("audio/", "video/")):
        return [_url_item(url)]
    if feeds.looks_like_feed(head, content_type):
        data, final = fetch_bytes(url, options.fetch)
        return feeds.parse(data, final)
    return media.items(url, options.fetch)


def _url_item(url: str) -> Item:
    return Item(id=f"url:{url}", kind="url", location=url, link=url, title=_name(url))


def _name(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _suffix(url: str) -> str:
    from urllib.parse import urlsplit

    return Path(urlsplit(url).path).suffix.lower()


def bound(items: list[Item], since: dt.date | None, limit: int | None) -> list[Item]:
    """Items dated on or after since (undated ones stay), then the first limit of them."""
    if since is not None:
        items = [i for i in items if not i.date or i.date >= since.isoformat()]
    return items[:limit] if limit is not None else items


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


def fetch_item(
    archive: Archive, item: Item, options: SourceOptions, progress: ByteProgress | None = None
) -> tuple[Path, Path | None]:
    """The item's audio in downloads/ (and captions, when asked for), proven to decode."""
    stem = hashlib.sha256(item.id.encode()).hexdigest()[:16]  # never a name from a title
    captions = None
    if item.kind == "media":
        from bitesearch import media

        path, captions = media.download(item, archive.downloads, stem, options, progress)
    else:
        path = archive.downloads / f"{stem}{_safe_suffix(item.location)}"
        if not path.exists():
            download(item.location, path, options.fetch, progress)
    try:
        probe(path)
    except BitesearchError as exc:
        path.unlink(missing_ok=True)
        raise BitesearchError(f"{item.location}: the download does not decode ({exc})") from None
    return path, captions


def _safe_suffix(url: str) -> str:
    suffix = _suffix(url)
    return suffix if suffix in MEDIA_SUFFIXES else ".media"


def dry_run_status(archive: Archive, item: Item) -> str:
    """What ingest would do with the item, found without downloading or decoding it."""
    if item.error:
        return "refused"
    if item.kind == "file":
        path = Path(item.location)
        known = path.is_file() and archive.find_by_sha(sha256_file(path))
        return "up to date" if known else "would ingest"
    return "up to date" if archive.find_by_item(item.id) else "would ingest"


def report_for(item: Item, status: str, error: str = "") -> IngestReport:
    """A summary row for an item that was not ingested (dry run, refused, failed)."""
    number = item.programme.edition if item.programme else None
    return IngestReport(
        source=item.link or item.location, edition_id="", edition=number, duration=0.0,
        talks=0, passages=0, method="", status=status, item=item.id,
        title=item.title or item.location, error=error,
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
        return ingest_item(archive, item, options, source_options, progress_for(item))
    except BitesearchError as exc:
        if lone:
            raise
        return report_for(item, "failed", str(exc))
