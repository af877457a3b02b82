"""Generate tests/fixtures/guard.mp3 and guard.json: speech between silence, applause and music.

The clip behind ``tests/transcribe/test_guard.py``: Whisper invents text where nobody speaks
(a "Thank you." over silence, lyrics over music, a phrase repeated in a loop), and the
transcription's guards (voice activity detection, no conditioning on the previous text) must
stop it. About two minutes:
speech spans (piper's joe voice, a few sentences each) separated by

* silence: digital zeros, then a low room-noise floor;
* applause: a synthetic clapping crowd (``soundsynth.make_applause``);
* music: a synthetic pop loop with chords, bass, melody and drums (``soundsynth.make_music``).

guard.json lists every span in order: its kind (speech, silence, applause or music), start and
end in seconds, and for speech the words said. Deterministic (numpy and onnxruntime seeded)::

    .venv/bin/python scripts/make_guard_clip.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
from make_sample import VOICES, encode_mp3, room_noise, to_seconds
from soundsynth import make_applause, make_music
from voicesynth import Synth, seconds

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SEED = 6
SENTENCE_GAP = 0.35  # between sentences of one speech span
SPAN_GAP = 0.4  # room tone only, between a speech span and a non-speech span
MP3_BITRATE = "48k"


@dataclass(frozen=True)
class Speech:
    voice: str  # a voice of make_sample.VOICES
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Sound:
    kind: str  # silence, applause or music
    seconds: float


PLAN: list[Speech | Sound] = [
    Speech("host", (
        "Good evening, and welcome to tonight's meeting about open data.",
        "We have three short talks, and then time for your questions.",
        "Please keep your phones on silent during the talks.",
    )),
    Sound("silence", 16.0),
    Speech("sam", (
        "Thank you. Our council publishes the bus timetables as open data.",
        "Every file has an owner and a plain English description.",
        "Developers built four travel apps from it in a single year.",
    )),
    Sound("applause", 16.0),
    Speech("host", (
        "Our next speaker works on dashboards for hospital managers.",
        "She will tell us why fewer charts can mean better decisions.",
    )),
    Sound("music", 24.0),
    Speech("priya", (
        "Hello everyone. Last spring we removed half of the charts on our main dashboard.",
        "The managers told us they finally knew where to look each morning.",
        "My advice is simple: ask the people who read the numbers what they need.",
    )),
    Sound("applause", 10.0),
    Speech("host", ("That is all for tonight. Thank you for coming, and good night.",)),
    Sound("silence", 8.0),
]  # fmt: skip
DIGITAL_SILENCE = 0.5  # the first half of every silence span is exact zeros, the rest room tone


@dataclass
class Span:
    kind: str
    start: int
    audio: np.ndarray
    text: str = ""

    @property
    def end(self) -> int:
        return self.start + self.audio.size


def speech(synth: Synth, voice: str, sentences: tuple[str, ...]) -> np.ndarray:
    """The sentences in one voice, SENTENCE_GAP apart."""
    gap = np.zeros(seconds(SENTENCE_GAP), dtype=np.float32)
    parts: list[np.ndarray] = []
    for sentence in sentences:
        audio, _ = synth.render(VOICES[voice], sentence)
        parts += [gap, audio] if parts else [audio]
    return np.concatenate(parts)


def render(part: Speech | Sound, at: int, rng: np.random.Generator, synth: Synth) -> Span:
    """One part of the plan as a span starting at sample `at`."""
    if isinstance(part, Speech):
        return Span(
            "speech", at, speech(synth, part.voice, part.sentences), " ".join(part.sentences)
        )
    if part.kind == "silence":
        return Span(part.kind, at, np.zeros(seconds(part.seconds), dtype=np.float32))
    make = {"applause": make_applause, "music": make_music}[part.kind]
    return Span(part.kind, at, make(rng, part.seconds))


def build(rng: np.random.Generator, synth: Synth) -> list[Span]:
    """Render the plan into spans placed on one timeline (samples)."""
    spans: list[Span] = []
    cursor = seconds(SPAN_GAP)
    for part in PLAN:
        span = render(part, cursor, rng, synth)
        spans.append(span)
        cursor = span.end + seconds(SPAN_GAP)
        print(f"  {to_seconds(span.start):6.2f}-{to_seconds(span.end):6.2f}s {span.kind}")
    return spans


def mix(spans: list[Span], rng: np.random.Generator) -> np.ndarray:
    """Place the spans over room tone; the first part of each silence is digital zeros."""
    length = spans[-1].end
    track = room_noise(rng, length)
    for span in spans:
        track[span.start : span.end] += span.audio
        if span.kind == "silence":
            zeros = int(span.audio.size * DIGITAL_SILENCE)
            track[span.start : span.start + zeros] = 0.0
    return track


def truth(spans: list[Span], length: int) -> dict[str, object]:
    """guard.json: every span's kind, start and end (seconds), and the words of speech."""
    records = []
    for span in spans:
        record: dict[str, object] = {
            "kind": span.kind,
            "start": to_seconds(span.start),
            "end": to_seconds(span.end),
        }
        if span.kind == "speech":
            record["text"] = span.text
        records.append(record)
    return {"schema": 1, "duration": to_seconds(length), "spans": records}


def main() -> None:
    onnxruntime.set_seed(SEED)  # piper's synthesis noise
    rng = np.random.default_rng(SEED)
    spans = build(rng, Synth())
    track = mix(spans, rng)
    OUT.mkdir(parents=True, exist_ok=True)
    encode_mp3(track, OUT / "guard.mp3", bitrate=MP3_BITRATE)
    record = truth(spans, track.size)
    (OUT / "guard.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'guard.mp3'} ({record['duration']} s) and guard.json")


if __name__ == "__main__":
    main()
