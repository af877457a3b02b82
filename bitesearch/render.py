"""What the CLI shows: rich tables, search hits, and the ingest progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from bitesearch.archive import Archive
from bitesearch.context import TalkContext
from bitesearch.errors import BitesearchError
from bitesearch.ingest import IngestOptions, IngestReport, ingest
from bitesearch.models import Edition, Hit, Moment
from bitesearch.search import SearchResult
from bitesearch.snippets import MARK_CLOSE, MARK_OPEN
from bitesearch.timecode import hms

STAGES = ("download", "transcribe", "segment", "clips", "index")


class SpeedColumn(ProgressColumn):
    """Audio time done of the total, and how many times faster than real time."""

    def render(self, task: Task) -> Text:
        speed = f" {task.speed:.0f}x" if task.speed else ""
        return Text(f"{hms(task.completed)}/{hms(task.total or 0)}{speed}", style="cyan")


@contextmanager
def ingest_progress(quiet: bool, console: Console | None = None) -> Iterator[Any]:
    """Yields for_source(name), a progress callback driving one rich bar per recording."""
    console = console or Console(stderr=True)
    if quiet or not console.is_terminal:  # a bar is for people watching, not for logs
        yield lambda name: None
        return

    columns = (TextColumn("{task.description}"), BarColumn(bar_width=24), SpeedColumn(),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as bar:

        def for_source(name: str) -> Any:
            task = bar.add_task(f"{name[:24]}", total=None)

            def update(stage: str, done: float, total: float) -> None:
                bar.update(task, completed=done, total=total)

            return update

        yield for_source


def ingest_all(
    archive: Archive, sources: list[Path], options: IngestOptions, quiet: bool
) -> tuple[list[IngestReport], list[tuple[str, str]]]:
    """Ingest each source; a failed one is reported and skipped, the others go on."""
    reports: list[IngestReport] = []
    failures: list[tuple[str, str]] = []
    with ingest_progress(quiet) as progress_for:
        for source in sources:
            try:
                reports.append(ingest(archive, source, options, progress_for(source.name)))
            except BitesearchError as exc:
                if len(sources) == 1:
                    raise
                failures.append((str(source), str(exc)))
    return reports, failures


def ingest_table(reports: list[IngestReport]) -> Table:
    table = Table(title="Ingested", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("edition", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("audio", no_wrap=True)
    table.add_column("talks", justify="right")
    table.add_column("seconds: " + " / ".join(STAGES))
    for r in reports:
        seconds = " / ".join(f"{r.stages.get(s, 0.0):.1f}" for s in STAGES)
        table.add_row(r.edition_id, r.status, hms(r.duration), str(r.talks), seconds)
    return table


def styled(snippet: str) -> Text:
    """A snippet with its highlighted terms in bold yellow."""
    text = Text()
    for n, part in enumerate(snippet.replace(MARK_CLOSE, MARK_OPEN).split(MARK_OPEN)):
        text.append(part, style="bold yellow" if n % 2 else "")
    return text


def hits_view(result: SearchResult, cite: bool = False) -> Group | Text:
    """The hits as people read them: one block per talk, up to three passages each."""
    parts: list[Any] = []
    if not result.hits:
        parts.append(Text(f"No talks match {result.query!r}."))
    else:
        mode = "" if result.mode == "hybrid" else ", exact words only"
        parts.append(Text(f"{len(result.hits)} talks ({result.passages} passages{mode}) "
                          f"match {result.query!r}"))  # fmt: skip
    if result.also_matched:
        parts.append(Text(f"also matched: {', '.join(result.also_matched)}", style="dim"))
    if result.suggestions:
        parts.append(Text(f"Did you mean: {' or '.join(result.suggestions)}?", style="bold"))
    parts.append(Text(""))
    for n, hit in enumerate(result.hits, start=1):
        parts.extend(_hit_parts(n, hit, cite))
    if result.facets and any(result.facets.values()):
        parts.append(facets_view(result.facets))
    return Group(*parts)


def _hit_parts(n: int, hit: Hit, cite: bool) -> list[Any]:
    header = Text(f"{n}. ", style="bold")
    header.append(f"{hit.edition_label}", style="bold")
    slot = f"talk {hit.talk}" if hit.talk else "host"
    header.append(f" · {hit.date} · {slot}" if hit.date else f" · {slot}")
    header.append(f"  ({hit.matches} passage{'s' * (hit.matches != 1)})", style="dim")
    who = " and ".join(hit.speakers)
    line = Text("   ")
    line.append(hit.title or "Untitled talk", style="italic")
    line.append(f" — {who}" if who else "")
    parts: list[Any] = [header, line]
    for moment in hit.passages:
        said = Text("   ")
        said.append(moment.timestamp, style="green")
        said.append(f"  {_spoken_by(moment)}", style="dim")
        parts += [said, Padding(styled(moment.snippet), (0, 0, 0, 3))]
        parts.append(Text(f"   ▶ {moment.source}", style="dim", no_wrap=True, overflow="ignore"))
        if moment.clip:
            parts.append(
                Text(f"   ▶ clip {moment.clip}", style="dim", no_wrap=True, overflow="ignore")
            )
    if hit.also_matched:
        parts.append(Text(f"   also matched: {', '.join(hit.also_matched)}", style="dim"))
    if cite:
        parts.append(Text(f"   Cite: {hit.citation}", no_wrap=True, overflow="ignore"))
    parts.append(Text(f"   [{hit.talk_id}]\n", style="dim"))
    return parts


def _spoken_by(moment: Moment) -> str:
    if moment.kind == "qa":
        return f"questions{': ' + moment.speaker if moment.speaker else ''}"
    if moment.kind == "host":
        return f"host: {moment.speaker}" if moment.speaker else "host"
    return moment.speaker


def facets_view(facets: dict[str, dict[str, int]], top: int = 10) -> Group:
    """Matching passages by speaker, edition and year (the most frequent first)."""
    tables = []
    for name, counts in facets.items():
        table = Table(title=f"passages by {name}", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column(name)
        table.add_column("passages", justify="right")
        rows = sorted(counts.items()) if name == "year" else list(counts.items())[:top]
        for value, count in rows:
            table.add_row(value, str(count))
        if name != "year" and len(counts) > top:
            table.add_row(f"… {len(counts) - top} more", "")
        tables.append(table)
    return Group(*tables)


def context_view(context: TalkContext) -> Group:
    """A talk's lines, [hh:mm:ss] speaker: text, the moment asked for marked with ▶."""
    header = Text(f"{context.edition_label}", style="bold")
    header.append(f" · {context.date}" if context.date else "")
    header.append(f" · {context.talk_id}")
    title = Text(f"{context.title or 'Untitled talk'}", style="italic")
    title.append(f" — {' and '.join(context.speakers)}" if context.speakers else "")
    parts: list[Any] = [header, title, Text(f"▶ {context.link}\n", style="dim")]
    for line in context.lines:
        row = Text("▶ " if line.here else "  ", style="bold yellow")
        row.append(f"[{line.timestamp}] ", style="green")
        row.append(f"{line.speaker}: " if line.speaker else "", style="bold")
        row.append(line.text, style="bold" if line.here else "")
        parts.append(row)
    if not context.lines:
        parts.append(Text("(no transcript in this part of the talk)", style="dim"))
    return Group(*parts)


def talk_rows(archive: Archive, editions: list[Edition]) -> list[dict[str, Any]]:
    """One row per talk of the given editions (as `talks --json` prints them)."""
    rows = []
    for edition in editions:
        split = archive.load_split(edition.id)
        for talk in split.talks if split else []:
            rows.append({
                "edition": edition.number,
                "edition_id": edition.id,
                "label": edition.label,
                "date": edition.programme.date,
                "talk": talk.slot,
                "talk_id": talk.talk_id(edition.id),
                "speakers": talk.speakers,
                "title": talk.title,
                "start": talk.start,
                "qa_start": talk.qa_start,
                "end": talk.end,
                "estimated": talk.estimated,
                "confidence": talk.confidence,
                "clip": str(archive.edition_dir(edition.id) / talk.clip) if talk.clip else "",
            })  # fmt: skip
    return rows


def talks_tables(rows: list[dict[str, Any]]) -> Group:
    """One table per edition: slot, speakers, title, start, questions, end, how it was split."""
    tables = []
    for edition_id in dict.fromkeys(row["edition_id"] for row in rows):
        mine = [r for r in rows if r["edition_id"] == edition_id]
        title = " · ".join(x for x in (mine[0]["label"], mine[0]["date"], edition_id) if x)
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")
        for column in ("#", "speakers", "title", "start", "questions", "end", "split"):
            table.add_column(column, no_wrap=column in ("#", "start", "questions", "end"))
        for row in mine:
            table.add_row(*_talk_cells(row))
        tables.append(table)
    return Group(*tables)


def _talk_cells(row: dict[str, Any]) -> list[str]:
    split = f"estimated {row['confidence']:.0%}" if row["estimated"] else "given"
    qa = hms(row["qa_start"]) if row["qa_start"] is not None else "-"
    speakers = " and ".join(row["speakers"]) or "-"
    title = row["title"] or "Untitled"
    return [str(row["talk"]), speakers, title, hms(row["start"]), qa, hms(row["end"]), split]
