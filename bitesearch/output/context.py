"""A talk's transcript around a moment: what a researcher reads before quoting a hit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bitesearch.archive import Archive
from bitesearch.errors import UsageError
from bitesearch.output.export import load_export
from bitesearch.search.query import deep_link
from bitesearch.timecode import hms, parse_time

WINDOW_SECONDS = 60.0  # shown before and after the moment


@dataclass
class Line:
    start: float
    timestamp: str
    speaker: str
    text: str
    here: bool = False  # the line at the moment asked for


@dataclass
class TalkContext:
    talk_id: str
    edition_label: str
    date: str
    title: str
    speakers: list[str]
    start: float
    end: float
    at: float | None
    link: str
    lines: list[Line] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def talk_context(
    archive: Archive, talk_id: str, at: str | None = None, window: float = WINDOW_SECONDS
) -> TalkContext:
    """The talk's lines (its presentation and questions); with `at`, those within `window`
    seconds of it, the line spoken at `at` marked."""
    doc = load_export(archive, None, talk_id)
    talk = doc.talks()[0]
    moment = _moment(at, talk.start, talk.end, talk_id) if at is not None else None
    where = doc.edition.programme.recording or str(
        archive.edition_dir(doc.edition.id) / doc.edition.source.file
    )
    context = TalkContext(
        talk_id=talk.talk_id(doc.edition.id),
        edition_label=doc.edition.label,
        date=doc.edition.programme.date,
        title=talk.title,
        speakers=talk.speakers,
        start=talk.start,
        end=talk.end,
        at=moment,
        link=deep_link(where, moment if moment is not None else talk.start),
    )
    for segment, speaker in doc.runs():  # cut at every change of speaker, each named
        middle = (segment.start + segment.end) / 2
        if moment is None or abs(middle - moment) <= window:
            context.lines.append(Line(segment.start, hms(segment.start), speaker, segment.text))
    if moment is not None and context.lines:
        here = min(context.lines, key=lambda line: (abs(line.start - moment), line.start))
        earlier = [line for line in context.lines if line.start <= moment]
        (earlier[-1] if earlier else here).here = True
    return context


def _moment(at: str, start: float, end: float, talk_id: str) -> float:
    try:
        seconds = parse_time(at)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    if not start - WINDOW_SECONDS <= seconds <= end:
        raise UsageError(f"--at {at} is outside talk {talk_id} ({hms(start)} to {hms(end)})")
    return seconds
