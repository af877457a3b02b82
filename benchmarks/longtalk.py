"""A ten-minute recording of real (synthesised) speech and its script: a transcription benchmark.

    .venv/bin/python benchmarks/longtalk.py

The host (piper's joe voice, low) opens the evening and introduces three talks; each talk is
given by joe at another pitch: natural sentences from `talkgen.py`, 0.3-0.6 s apart, two seconds
between the parts, over a faint room tone (no applause or music: this recording measures speech,
tests/fixtures/guard.mp3 the rest). Deterministic for a seed (talkgen's random, numpy's and
onnxruntime's, which drives piper's synthesis noise).

`long_talk()` caches the result in benchmarks/.cache/longtalk-<seed>/ (talk.mp3, script.txt with
one sentence a line, and plan.json: the plan it was made from, so a changed plan is made again,
and its duration).
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import talkgen
from timing import timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from make_sample import VOICES, encode_mp3, room_noise  # noqa: E402
from voicesynth import SAMPLE_RATE, Synth, VoiceSpec, seconds  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
SEED = 10
TALKS = (2, 1, 6)  # talkgen.TOPICS: artificial intelligence, dashboards, housing
TALK_SECONDS = 170.0  # planned length of each talk (the opening is about a minute)
SENTENCE_GAP = (0.3, 0.6)  # seconds between sentences, drawn per gap
PART_GAP = 2.0  # seconds between the opening, each introduction, each talk and the closing
LEAD = 0.5  # seconds of room tone before the first word and after the last
PIPER_RATE = 3.3  # words a second, short pauses included (measured: editions.RATE)
HOST = VOICES["host"]
SPEAKERS = (VOICES["sam"], VoiceSpec("", "piper"), VOICES["priya"])  # joe at three pitches
NAMES = (("Maya Collins", "Leeds City Council"), ("Tom Reid", "Transport for the North"),
         ("Anna Bell", "Bristol Data Academy"))  # fmt: skip


@dataclass(frozen=True)
class Part:
    """Sentences one voice says in a row."""

    voice: VoiceSpec
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class LongTalk:
    audio: Path
    script: str  # every sentence said, in order, one a line
    seconds: float


def plan(seed: int = SEED) -> list[Part]:
    """The opening, each talk's introduction and the talk, and the closing."""
    rng = random.Random(seed)
    topics = [talkgen.TOPICS[t] for t in TALKS]
    parts = [Part(HOST, tuple(talkgen.opening("Dan Barrett", 60, [t.title for t in topics], rng)))]
    for k, (topic, voice, (name, org)) in enumerate(zip(topics, SPEAKERS, NAMES, strict=True)):
        intro = talkgen.intro([name], org, topic.title, k == 0, k == len(topics) - 1)
        parts.append(Part(HOST, (intro,)))
        parts.append(
            Part(voice, tuple(talkgen.talk_sentences(topic, TALK_SECONDS, rng, PIPER_RATE)))
        )
    parts.append(Part(HOST, (talkgen.CLOSING,)))
    return parts


def silence(duration: float) -> np.ndarray:
    return np.zeros(seconds(duration), dtype=np.float32)


def render(parts: list[Part], seed: int) -> np.ndarray:
    """Speak every part; sentences SENTENCE_GAP apart, parts PART_GAP apart, over room tone."""
    import onnxruntime

    onnxruntime.set_seed(seed)  # piper's synthesis noise
    rng = np.random.default_rng(seed)
    synth = Synth()
    pieces = [silence(LEAD)]
    for part in parts:
        for n, sentence in enumerate(part.sentences):
            if len(pieces) > 1:
                pieces.append(silence(rng.uniform(*SENTENCE_GAP) if n else PART_GAP))
            pieces.append(synth.render(part.voice, sentence)[0])
    track = np.concatenate([*pieces, silence(LEAD)])
    return track + room_noise(rng, track.size)


def long_talk(seed: int = SEED) -> LongTalk:
    """The recording and its script, generated unless the cache already holds this plan."""
    parts = plan(seed)
    folder = CACHE / f"longtalk-{seed}"
    audio, script, made = folder / "talk.mp3", folder / "script.txt", folder / "plan.json"
    key = [seed, SENTENCE_GAP, PART_GAP, LEAD, [[repr(p.voice), p.sentences] for p in parts]]
    key = json.loads(json.dumps(key))  # tuples as lists, as they come back from the file
    cached = json.loads(made.read_text(encoding="utf-8")) if made.exists() else {}
    if cached.get("plan") != key or not audio.exists() or not script.exists():
        folder.mkdir(parents=True, exist_ok=True)
        track = render(parts, seed)
        encode_mp3(track, audio)
        script.write_text("\n".join(s for p in parts for s in p.sentences) + "\n", "utf-8")
        cached = {"plan": key, "seconds": round(track.size / SAMPLE_RATE, 2)}
        made.write_text(json.dumps(cached, indent=1), encoding="utf-8")
    return LongTalk(audio, script.read_text(encoding="utf-8"), cached["seconds"])


if __name__ == "__main__":
    took, made = timed(long_talk)
    assert isinstance(made, LongTalk)
    words = len(made.script.split())
    print(f"{made.audio}: {made.seconds / 60:.1f} min ({made.seconds:.0f} s), {words} words")
    print(f"took {took:.1f} s (generating, or reading the cache when the plan is unchanged)")
