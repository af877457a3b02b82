"""What the CLI shows for ingest and talks: rich tables and the ingest progress bar (search
hits and transcripts are in views.py, so a query does not import the ingest machinery).

Every string from outside (titles, names, file names, URLs) goes into rich as a Text, which
rich never parses for markup: a title holding "[/]" would raise MarkupError, "[bold red]" would
restyle the table. Only our own constant strings are markup."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console, Group
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
from bitesearch.models import Edition, IngestReport
from bitesearch.output.views import styled
from bitesearch.timecode import hms

__all__ = ["ingest_progress", "ingest_table", "styled", "talk_rows", "talks_tables"]

STAGES = ("download", "transcribe", "segment", "clips", "index")


class SpeedColumn(ProgressColumn):
    """Audio time done of the total, and how many times faster than real time."""

    def render(self, task: Task) -> Text:
        if task.fields.get("stage") == "download":  # bytes, not audio seconds
            total = f"/{task.total / 1e6:.1f}" if task.total else ""
            return Text(f"{task.completed / 1e6:.1f}{total} MB", style="cyan")
        speed = f" {task.speed:.0f}x" if task.speed else ""
        return Text(f"{hms(task.completed)}/{hms(task.total or 0)}{speed}", style="cyan")


@contextmanager
def ingest_progress(quiet: bool, console: Console | None = None) -> Iterator[Any]:
    """Yields for_source(name), a progress callback driving one rich bar per recording."""
    console = console or Console(stderr=True)
    if quiet or not console.is_terminal:  # a bar is for people watching, not for logs
        yield lambda name: None
        return

    name = TextColumn("{task.description}", markup=False)  # a file or feed item's own name
    columns = (name, BarColumn(bar_width=24), SpeedColumn(), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as bar:

        def for_source(name: str) -> Any:
            task = bar.add_task(f"{name[:24]}", total=None)

            current = [""]

            def update(stage: str, done: float, total: float) -> None:
                if stage != current[0]:  # a new stage (download, then transcribe): a new speed
                    current[0] = stage
                    bar.reset(task, stage=stage)
                bar.update(task, completed=done, total=total or None, stage=stage)

            return update

        yield for_source


STATUS_STYLES = {"ingested": "green", "updated": "yellow", "failed": "bold red", "refused": "red"}


def ingest_table(reports: list[IngestReport], title: str = "Ingested") -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption="seconds: " + " / ".join(STAGES),
        caption_justify="left",
    )
    table.add_column("edition", no_wrap=True)
    table.add_column("item", min_width=12, max_width=40)
    table.add_column("status", no_wrap=True)
    table.add_column("audio", no_wrap=True)
    table.add_column("talks", justify="right")
    table.add_column("seconds", no_wrap=True)
    for r in reports:
        seconds = " / ".join(f"{r.stages.get(s, 0.0):.1f}" for s in STAGES) if r.stages else "-"
        status = Text(r.status, style=STATUS_STYLES.get(r.status, ""))
        duration = hms(r.duration) if r.duration else "-"
        talks = str(r.talks) if r.edition_id else "-"
        item = Text(r.title or r.source)
        table.add_row(Text(r.edition_id or "-"), item, status, duration, talks, seconds)
    return table


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
        label, date = mine[0]["label"], mine[0]["date"]
        title = Text(" · ".join(dict.fromkeys(x for x in (label, date, edition_id) if x)))
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")
        for column in ("#", "speakers", "title", "start", "questions", "end", "split"):
            table.add_column(column, no_wrap=column in ("#", "start", "questions", "end"))
        for row in mine:
            table.add_row(*_talk_cells(row))
        tables.append(table)
    return Group(*tables)


def _talk_cells(row: dict[str, Any]) -> list[str | Text]:
    split = f"estimated {row['confidence']:.0%}" if row["estimated"] else "given"
    qa = hms(row["qa_start"]) if row["qa_start"] is not None else "-"
    speakers = Text(" and ".join(row["speakers"]) or "-")
    title = Text(row["title"] or "Untitled")
    return [str(row["talk"]), speakers, title, hms(row["start"]), qa, hms(row["end"]), split]
