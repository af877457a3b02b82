"""Transcripts for write-ups: small writer classes looked up by format name.

Each writer has `write(doc, file)`, so tests write to `io.StringIO`. Times are those of the
edition's recording, so a quote's `[hh:mm:ss]` finds the moment in the published recording.
"""

from __future__ import annotations

import bisect
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, TextIO, cast

from bitesearch.archive import Archive, atomic_write
from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import (
    SCHEMA_VERSION,
    Edition,
    Passage,
    Segment,
    Split,
    Talk,
    Transcript,
    Word,
)
from bitesearch.timecode import hms, subtitle_time

CUE_MAX_SECONDS = 7.0  # subtitle cues longer than this are cut at a word
CUE_MAX_CHARS = 84  # two lines of 42 characters


@dataclass
class ExportDoc:
    """What to export: an edition, or just some of its talks (`slots`)."""

    edition: Edition
    split: Split
    transcript: Transcript
    slots: list[int] | None = None  # None: the whole edition

    def talks(self) -> list[Talk]:
        if self.slots == [0]:
            return [self.host_part()]
        return [t for t in self.split.talks if self.slots is None or t.slot in self.slots]

    def passages(self) -> list[Passage]:
        if self.slots is None:
            return self.split.passages
        if self.slots == [0]:  # the host's opening, news and closing
            return [p for p in self.split.passages if p.slot == 0]
        return [p for p in self.split.passages if p.slot in self.slots and p.kind != "host"]

    def host_part(self) -> Talk:
        """The host's own part of the edition (slot 0) as a talk, so it can be shown too."""
        own = [p for p in self.split.passages if p.slot == 0]
        start = min((p.start for p in own), default=0.0)
        end = max((p.end for p in own), default=0.0)
        host = self.edition.programme.host or "host"
        return Talk(0, "Host: opening, news and closing", [host], [], start, end)

    def speakers_of(self, passage: Passage) -> list[str]:
        if passage.kind == "host":
            return [self.edition.programme.host or "host"]
        talk = next((t for t in self.split.talks if t.slot == passage.slot), None)
        return talk.speakers if talk else []

    def speaker_of(self, passage: Passage) -> str:
        """Who spoke a passage, as a write-up names them."""
        host = self.edition.programme.host
        if passage.speaker == "host" or (not passage.speaker and passage.kind == "host"):
            return f"{host} (host)" if host else "Host"
        if passage.speaker == "audience":
            return "Audience"
        return passage.speaker or " and ".join(self.speakers_of(passage))

    def runs(self) -> list[tuple[Segment, str]]:
        """The transcript's segments cut to the exported passages and at every change of
        speaker, each with who spoke it."""
        chosen = self.passages()
        starts = [p.start for p in chosen]
        result: list[tuple[Segment, str]] = []
        for segment in self.transcript.segments:
            run: list[Word] = []
            owner: Passage | None = None
            for word in segment.words:
                here = _passage_at(chosen, starts, (word.start + word.end) / 2)
                if run and here is not owner:
                    _flush(result, run, owner, self)
                    run = []
                owner = here
                run.append(word)
            _flush(result, run, owner, self)
        return result


def _passage_at(chosen: list[Passage], starts: list[float], t: float) -> Passage | None:
    i = bisect.bisect_right(starts, t + 0.05) - 1
    if i >= 0 and t <= chosen[i].end + 0.05:
        return chosen[i]
    return None


def _flush(
    result: list[tuple[Segment, str]], run: list[Word], owner: Passage | None, doc: ExportDoc
) -> None:
    if run and owner is not None:
        text = "".join(w.text for w in run).strip()
        result.append((Segment(run[0].start, run[-1].end, text, list(run)), doc.speaker_of(owner)))


class WriteMarkdown:
    extension = "md"

    def write(self, doc: ExportDoc, out: TextIO) -> None:
        p = doc.edition.programme
        out.write(f"# {p.title or doc.edition.label}\n\n")
        facts = [doc.edition.label, p.date, p.venue, f"hosted by {p.host}" if p.host else ""]
        out.write("*" + " · ".join(f for f in facts if f) + "*\n")
        talks = {t.slot: t for t in doc.talks()}
        current: tuple[int, bool] | None = None
        last_speaker, shown = "", current
        for passage in doc.passages():
            place = (passage.slot, passage.kind == "qa")
            if place != current:
                out.write(self._heading(doc, talks, passage, current))
                current = place
            speaker = doc.speaker_of(passage)
            who = f"**{speaker}:** " if speaker != last_speaker or place != shown else ""
            out.write(f"\n[{hms(passage.start)}] {who}{passage.text}\n")
            last_speaker, shown = speaker, place

    def _heading(
        self,
        doc: ExportDoc,
        talks: dict[int, Talk],
        passage: Passage,
        current: tuple[int, bool] | None,
    ) -> str:
        talk = talks.get(passage.slot)
        if passage.kind == "qa":
            return "\n### Questions\n"
        if current is not None and current[0] == passage.slot:
            return ""
        if talk is None:
            return "\n## Opening\n" if current is None else "\n## Closing\n"
        lines = [f"\n## {talk.slot}. {talk.title or 'Untitled talk'}\n"]
        people = [
            f"{name} ({org})" if org else name
            for name, org in zip(talk.speakers, talk.affiliations + [""] * 9, strict=False)
        ]
        if people:
            lines.append("\n" + " and ".join(f"**{p}**" for p in people) + "\n")
        if talk.estimated:
            lines.append(f"\n*Start estimated (confidence {talk.confidence:.0%}).*\n")
        return "".join(lines)


class WriteText:
    extension = "txt"

    def write(self, doc: ExportDoc, out: TextIO) -> None:
        out.write(f"{doc.edition.programme.title or doc.edition.label}\n")
        talks = {t.slot: t for t in doc.talks()}
        last_slot = -1
        for passage in doc.passages():
            talk = talks.get(passage.slot)
            if passage.slot != last_slot and talk is not None and passage.kind != "host":
                names = " and ".join(talk.speakers)
                out.write(f"\nTalk {talk.slot}: {talk.title} ({names})\n")
                last_slot = passage.slot
            part = " (questions)" if passage.kind == "qa" else ""
            out.write(f"[{hms(passage.start)}]{part} {doc.speaker_of(passage)}: {passage.text}\n")


class SubtitleWriter:
    extension: ClassVar[str] = ""
    decimal: ClassVar[str] = ","

    def cues(self, doc: ExportDoc) -> list[tuple[float, float, str, str]]:
        """Cues (start, end, text, speaker) in time order; a cue of no duration (a word Whisper
        gave no length) joins the cue before it, since players skip empty cues."""
        merged: list[tuple[float, float, str, str]] = []
        for segment, speaker in doc.runs():
            for start, end, text in split_cue(segment):
                if end <= start and merged and merged[-1][3] == speaker:
                    before = merged.pop()
                    start, end, text = before[0], max(before[1], end), f"{before[2]} {text}"
                merged.append((start, max(end, start + 0.01), text, speaker))
        return merged

    def stamp(self, start: float, end: float) -> str:
        return f"{subtitle_time(start, self.decimal)} --> {subtitle_time(end, self.decimal)}"


class WriteSRT(SubtitleWriter):
    extension = "srt"

    def write(self, doc: ExportDoc, out: TextIO) -> None:
        last = ""
        for n, (start, end, text, speaker) in enumerate(self.cues(doc), start=1):
            shown = f"{speaker}: {text}" if speaker != last else text  # named at each change
            out.write(f"{n}\n{self.stamp(start, end)}\n{shown}\n\n")
            last = speaker


class WriteVTT(SubtitleWriter):
    extension = "vtt"
    decimal = "."

    def write(self, doc: ExportDoc, out: TextIO) -> None:
        out.write("WEBVTT\n\n")
        for start, end, text, speaker in self.cues(doc):  # WebVTT's voice span names the speaker
            out.write(f"{self.stamp(start, end)}\n<v {speaker}>{text}\n\n")


def split_cue(segment: Segment) -> list[tuple[float, float, str]]:
    """A segment as subtitle cues of at most CUE_MAX_SECONDS and CUE_MAX_CHARS, cut at words."""
    if not segment.words:
        return [(segment.start, segment.end, segment.text)]
    cues: list[tuple[float, float, str]] = []
    words: list[Any] = []
    for word in segment.words:
        text = "".join(w.text for w in [*words, word]).strip()
        if words and (word.end - words[0].start > CUE_MAX_SECONDS or len(text) > CUE_MAX_CHARS):
            cues.append((words[0].start, words[-1].end, "".join(w.text for w in words).strip()))
            words = []
        words.append(word)
    cues.append((words[0].start, words[-1].end, "".join(w.text for w in words).strip()))
    return cues


class WriteJSON:
    extension = "json"

    def write(self, doc: ExportDoc, out: TextIO) -> None:
        data = {
            "schema": SCHEMA_VERSION,
            "edition": {"id": doc.edition.id, **asdict(doc.edition.programme), "talks": None},
            "transcript": {"engine": doc.transcript.engine, "model": doc.transcript.model},
            "talks": [asdict(t) | {"talk_id": t.talk_id(doc.edition.id)} for t in doc.talks()],
            "passages": [asdict(p) | {"speakers": doc.speakers_of(p)} for p in doc.passages()],
        }
        del data["edition"]["talks"]  # type: ignore[attr-defined]
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")


WRITERS: dict[str, type[WriteMarkdown | WriteText | WriteSRT | WriteVTT | WriteJSON]] = {
    "md": WriteMarkdown,
    "txt": WriteText,
    "srt": WriteSRT,
    "vtt": WriteVTT,
    "json": WriteJSON,
}


def get_writer(name: str) -> WriteMarkdown | WriteText | WriteSRT | WriteVTT | WriteJSON:
    aliases = {"markdown": "md", "text": "txt", "webvtt": "vtt"}
    key = aliases.get(name.lower(), name.lower())
    if key not in WRITERS:
        raise UsageError(f"unknown export format {name!r}: choose from {', '.join(WRITERS)}")
    return WRITERS[key]()


def load_export(archive: Archive, edition_ref: str | None, talk_ref: str | None) -> ExportDoc:
    """The edition (or one talk of it) to export, from what the archive holds."""
    if talk_ref:
        edition_part, _, slot_part = talk_ref.rpartition("/")
        if not edition_part or not slot_part.isdigit():
            raise UsageError(f"not a talk id: {talk_ref!r} (talk ids look like data-bites-056/2)")
        edition_ref = edition_ref or edition_part
    if not edition_ref:
        raise UsageError("say what to export: --edition 56 or --talk data-bites-056/2")
    edition = archive.find_edition(edition_ref)
    split = archive.load_split(edition.id)
    transcript = archive.load_transcript(edition.id)
    if split is None or transcript is None:
        raise BitesearchError(f"edition {edition.id} is not fully ingested: run ingest again")
    slots = None
    if talk_ref:
        slot = int(talk_ref.rpartition("/")[2])
        if slot not in {t.slot for t in split.talks} and not (
            slot == 0 and any(p.slot == 0 for p in split.passages)
        ):
            raise BitesearchError(f"edition {edition.id} has no talk {slot}")
        slots = [slot]
    return ExportDoc(edition, split, transcript, slots)


def write_export(doc: ExportDoc, format_name: str, output: Path | None) -> None:
    """Write doc as format_name to output (atomically) or to stdout."""
    writer = get_writer(format_name)
    if output is None:
        writer.write(doc, sys.stdout)
        return
    with atomic_write(output) as handle:
        writer.write(doc, cast(TextIO, handle))
