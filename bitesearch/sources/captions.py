"""Transcripts that already exist (WebVTT, SubRip, Whisper-style JSON) read as a `Transcript`.

Captions carry times per cue, not per word: each cue's words are spread evenly over it, and
the transcript's settings say so (`"word_times": "spread"`), so nobody mistakes them for
Whisper's. Whisper JSON with words keeps its own word times (`"word_times": "given"`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

from bitesearch.errors import BitesearchError
from bitesearch.models import Segment, Transcript, Word

SUFFIXES = (".vtt", ".srt", ".json")
CAPTIONS_VERSION = 1  # bump when parsing changes, so transcripts made by it are redone
MAX_BYTES = 50 * 1024**2  # a ten-hour transcript is a few MB

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_TAG = re.compile(r"<[^>]*>")


def is_captions(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def captions_key(path: Path) -> str:
    """What a transcript read from captions depends on: the file and this parser."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"captions-{CAPTIONS_VERSION}-{digest[:16]}"


def load(path: Path) -> Transcript:
    """The transcript in a .vtt, .srt or Whisper .json file; BitesearchError when unreadable."""
    if not path.is_file():
        raise BitesearchError(f"no such file: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise BitesearchError(f"{path} is over {MAX_BYTES:,} bytes: not a transcript")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BitesearchError(f"{path} is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        segments, given = _whisper_json(text, path), True
    else:
        segments, given = _cues(text), False
    if not segments:
        raise BitesearchError(f"{path} holds no captions with text")
    return Transcript(
        engine=f"captions:{suffix.lstrip('.')}",
        model="",
        settings={"word_times": "given" if given else "spread", "file": path.name},
        language="en",
        duration=round(max(s.end for s in segments), 3),
        segments=segments,
        key=captions_key(path),
    )


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = groups
    return (
        int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
        + int((fraction or "0").ljust(3, "0")) / 1000
    )  # fmt: skip


def _cues(text: str) -> list[Segment]:
    """The cues of a VTT or SRT file, in time order, with duplicate rolling lines removed."""
    segments: list[Segment] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip().split("\n")
        at = next((n for n, line in enumerate(lines) if _CUE.match(line)), None)
        if at is None:
            continue  # WEBVTT header, NOTE, STYLE, or a cue without timing
        match = _CUE.match(lines[at])
        assert match is not None
        start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
        words = _clean(" ".join(lines[at + 1 :]))
        if segments and words.startswith(segments[-1].text) and segments[-1].text:
            words = words[len(segments[-1].text) :].strip()  # YouTube's rolling captions
        if words and end > start:
            segments.append(_segment(start, end, words))
    return sorted(segments, key=lambda s: s.start)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _segment(start: float, end: float, text: str) -> Segment:
    """A segment whose words share [start, end) evenly (captions give no word times)."""
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [
        Word(round(start + n * step, 3), round(start + (n + 1) * step, 3), f" {token}")
        for n, token in enumerate(tokens)
    ]
    return Segment(start=round(start, 3), end=round(end, 3), text=text, words=words)


def _whisper_json(text: str, path: Path) -> list[Segment]:
    """openai-whisper's and faster-whisper's JSON: {"segments": [{start, end, text, words?}]}."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BitesearchError(f"{path} is not valid JSON ({exc})") from None
    raw = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise BitesearchError(f"{path} is not a Whisper transcript (no 'segments' list)")
    segments = []
    for item in raw:
        try:
            start, end = float(item["start"]), float(item["end"])
            words_text = _clean(str(item["text"]))
        except (KeyError, TypeError, ValueError):
            raise BitesearchError(f"{path}: a segment lacks start, end or text") from None
        if not words_text or end <= start:
            continue
        words = [_word(w) for w in item.get("words") or [] if isinstance(w, dict)]
        segment = _segment(start, end, words_text)
        if words and all(w is not None for w in words):
            segment.words = [w for w in words if w is not None]
        segments.append(segment)
    return segments


def _word(data: dict[str, Any]) -> Word | None:
    try:
        text = str(data.get("word", data.get("text", "")))
        return Word(
            float(data["start"]), float(data["end"]), text, float(data.get("probability", 1))
        )
    except (KeyError, TypeError, ValueError):
        return None
