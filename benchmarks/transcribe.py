"""Transcription engines and settings, side by side on the same real speech.

    .venv/bin/python benchmarks/transcribe.py                # engines and settings (~15 min)
    .venv/bin/python benchmarks/transcribe.py --parts        # where the default's time goes
    .venv/bin/python benchmarks/transcribe.py --long 3       # a 3-hour ingest: peak memory
    .venv/bin/python benchmarks/transcribe.py --jobs         # two recordings: one by one vs -j 2
    .venv/bin/python benchmarks/transcribe.py --help-time    # `bitesearch --help` as a process

Recordings: the sample edition (248 s) and a generated ten-minute one (`longtalk.py`), both
synthesised speech with known scripts. Each setting runs in a fresh process (so its peak
memory is its own) and prints real-time factor (seconds of work per second of audio; model
loading excluded and shown apart), words per second, word error rate against the script
(Whisper's English normaliser), peak memory, and its time as a ratio of the default's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scoring import wer
from timing import process_seconds

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recordings" / "sample"
PYTHON = sys.executable

# (label, engine, TranscribeOptions fields, CTranslate2 workers); the first is the default
SETTINGS: list[tuple[str, str, dict[str, object], int]] = [
    ("faster-whisper default: batched 4, greedy, int8, 2 workers", "faster-whisper", {}, 0),
    ("faster-whisper batched, 1 worker x 2 threads", "faster-whisper", {}, 1),
    ("faster-whisper batched, beam 5", "faster-whisper", {"beam_size": 5}, 0),
    ("faster-whisper batched, int8_float32", "faster-whisper", {"compute_type": "int8_float32"}, 0),
    ("faster-whisper batched, float32", "faster-whisper", {"compute_type": "float32"}, 0),
    ("faster-whisper batched 8", "faster-whisper", {"batch_size": 8}, 0),
    ("faster-whisper sequential, greedy", "faster-whisper", {"batch_size": 0}, 1),
    ("faster-whisper sequential, beam 5 (old default)", "faster-whisper",
     {"batch_size": 0, "beam_size": 5}, 1),
    ("openai-whisper, beam 5 (its CLI default)", "openai-whisper",
     {"batch_size": 0, "beam_size": 5, "compute_type": "float32"}, 1),
    ("openai-whisper, greedy", "openai-whisper",
     {"batch_size": 0, "beam_size": 1, "compute_type": "float32"}, 1),
]  # fmt: skip


def sample_script() -> str:
    """What the sample edition's voices say (script.txt without its markup)."""
    lines = (SAMPLE / "script.txt").read_text(encoding="utf-8").splitlines()
    said = [ln.split(":", 1)[1] for ln in lines if ln.strip() and ln[0] not in "#[" and ":" in ln]
    return " ".join(said)


def recordings() -> list[tuple[str, Path, str]]:
    from longtalk import long_talk

    made = long_talk()
    return [
        ("sample edition (248 s)", SAMPLE / "edition.mp3", sample_script()),
        (f"ten-minute talk ({made.seconds:.0f} s)", made.audio, made.script),
    ]


def child(engine: str, fields: dict[str, object], workers: int, audio: Path) -> None:
    """Run in a fresh process: transcribe audio with one setting, print JSON."""
    from bitesearch.audio import BLOCK_SECONDS, probe, stream_blocks
    from bitesearch.transcribe.common import TranscribeOptions
    from bitesearch.transcribe.engines import load_engine
    from bitesearch.transcribe.run import transcribe_blocks

    options = TranscribeOptions(engine=engine, **fields)  # type: ignore[arg-type]
    began = time.perf_counter()
    model = load_engine(options, workers)
    loaded = time.perf_counter() - began
    duration = probe(audio)
    count = model.workers * max(round(duration / (model.workers * BLOCK_SECONDS)), 1)
    cpu, began = time.process_time(), time.perf_counter()
    transcript = transcribe_blocks(stream_blocks(audio, duration / count), options, engine=model)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(json.dumps({
        "load": loaded, "seconds": seconds, "cpu": cpu, "duration": transcript.duration,
        "words": len(transcript.words()),
        "text": " ".join(s.text for s in transcript.segments),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))  # fmt: skip


def measure(engine: str, fields: dict[str, object], workers: int, audio: Path) -> dict:
    argv = [PYTHON, __file__, "--child", json.dumps([engine, fields, workers, str(audio)])]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def settings_table(chosen: list[int]) -> None:
    print(f"cores: {os.cpu_count()}; each setting in a fresh process; RTF excludes model loading")
    for name, audio, script in recordings():
        print(f"\n## {name}")
        head = f"{'setting':58s} {'RTF':>7s} {'x default':>9s} {'words/s':>8s} {'WER %':>6s}"
        print(f"{head} {'peak MB':>8s} {'load s':>7s} {'CPU s':>6s}")
        base = None
        for i in chosen:
            label, engine, fields, workers = SETTINGS[i]
            got = measure(engine, fields, workers, audio)
            if "error" in got:
                print(f"{label:58s} failed: {got['error']}")
                continue
            rtf = got["seconds"] / got["duration"]
            base = base or rtf
            print(
                f"{label:58s} {rtf:7.4f} {rtf / base:9.2f} {got['words'] / got['seconds']:8.1f} "
                f"{100 * wer(script, got['text']):6.2f} {got['peak_mb']:8.0f} "
                f"{got['load']:7.2f} {got['cpu']:6.1f}",
                flush=True,
            )


def parts() -> None:
    """Where the default's time goes on the sample, stage by stage, on one core each; then
    what bounds the two big stages: the encoder by input length, the decoder per token."""
    import ctranslate2
    import numpy as np
    from faster_whisper import WhisperModel
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from bitesearch.audio import decode_for_whisper
    from bitesearch.transcribe.common import CHUNK, RATE
    from bitesearch.transcribe.fasterwhisper import (
        FIT_MARGIN,
        FRAMES_PER_SECOND,
        _batches,
        _pack,
        resolve_model,
    )

    began = time.perf_counter()
    audio = decode_for_whisper(SAMPLE / "edition.mp3")
    took = {"decode (PyAV, 16 kHz)": time.perf_counter() - began}
    duration = len(audio) / RATE
    model = WhisperModel(resolve_model("tiny.en"), device="cpu", compute_type="int8", cpu_threads=1)
    tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
    prompt = model.get_prompt(tokenizer, [], without_timestamps=True)

    def clock(name: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        result = func(*args, **kwargs)
        took[name] = took.get(name, 0.0) + time.perf_counter() - began
        return result

    def mel(chunks: list[np.ndarray]) -> np.ndarray:
        return np.stack([pad_or_trim(model.feature_extractor(c)[..., :-1]) for c in chunks])

    def storage(array: np.ndarray) -> object:
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(array))

    vad = VadOptions(min_silence_duration_ms=500, max_speech_duration_s=CHUNK)
    regions = clock("VAD (Silero)", get_speech_timestamps, audio, vad)
    clips = _pack([(r["start"] / RATE, r["end"] / RATE) for r in regions])
    windows, frames_in = 0, 0
    for batch in _batches(clips, 4):
        chunks = [audio[int(c["start"] * RATE) : int(c["end"] * RATE)] for c in batch]
        lengths = [math.ceil(len(c) / RATE) for c in chunks]
        fitted = min((max(lengths) + FIT_MARGIN) * FRAMES_PER_SECOND, 3000)
        features = clock("mel features", mel, chunks)
        encoded = clock("encoder", model.model.encode, storage(features[..., :fitted]))
        results = clock(
            "decoder loop (greedy)", model.model.generate, encoded, [prompt] * len(chunks),
            beam_size=1, max_length=448, return_scores=True, return_no_speech_prob=True,
        )  # fmt: skip
        tokens = [r.sequences_ids[0] for r in results]
        frames = [n * FRAMES_PER_SECOND for n in lengths]
        clock("word alignment", model.model.align, encoded, tokenizer.sot_sequence, tokens, frames)
        windows, frames_in = windows + len(chunks), frames_in + fitted * len(chunks)
    total = sum(took.values())
    print(
        f"the default's stages on the sample ({duration:.0f} s, {windows} windows in batches "
        f"of like length, encoded at {frames_in / windows / FRAMES_PER_SECOND:.1f} s a window "
        f"on average), one thread each (CPU seconds; two workers share them over two cores):"
    )
    for name, seconds_taken in took.items():
        share = 100 * seconds_taken / total
        print(
            f"  {name:24s} {seconds_taken:6.2f} s  {share:5.1f} %  "
            f"RTF {seconds_taken / duration:.4f}"
        )
    print(f"  {'total':24s} {total:6.2f} s  over 2 cores at best {total / 2 / duration:.4f} RTF")

    # what bounds the encoder: its input length (4 windows of the sample at 10, 20 and 30 s)
    full = np.stack([
        pad_or_trim(model.feature_extractor(audio[i * 30 * RATE : (i + 1) * 30 * RATE])[..., :-1])
        for i in range(4)
    ])  # fmt: skip
    print("encoder, 4 windows at a time, seconds a window by input length:")
    for seconds in (10, 20, 30):
        began = time.perf_counter()
        model.model.encode(storage(full[..., : seconds * FRAMES_PER_SECOND]))
        print(f"  {seconds:2d} s of input: {(time.perf_counter() - began) / 4:.3f} s")
    # what bounds the decoder: every step reads each window's cross-attention keys and values
    # (float32) and the int8 vocabulary projection, far more bytes than the cache holds
    cache = 2 * 4 * 1500 * 384 * 4  # keys and values, 4 layers, 1500 positions, 384 wide
    vocabulary = 51_864 * 384
    print("decoder, greedy, per token by batch (bytes each step must read from memory):")
    for size in (1, 2, 4, 8):
        part = model.model.encode(storage(np.concatenate([full, full])[:size]))
        began = time.perf_counter()
        results = model.model.generate(part, [prompt] * size, beam_size=1, max_length=448)
        spent = time.perf_counter() - began
        count = sum(len(r.sequences_ids[0]) for r in results)
        steps = max(len(r.sequences_ids[0]) for r in results)
        read = (size * cache + vocabulary) * steps
        print(
            f"  batch {size}: {1000 * spent / count:.2f} ms a token; "
            f"{(size * cache + vocabulary) / 1e6:.0f} MB a step, {read / spent / 1e9:.1f} GB/s"
        )


def long_ingest(hours: float) -> None:
    """Ingest a recording of `hours` (the sample, repeated) in a fresh process: peak memory."""
    from bitesearch.audio import ffmpeg_exe

    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "list.txt"
        repeats = max(round(hours * 3600 / 247.9), 1)
        listing.write_text(f"file '{SAMPLE / 'edition.mp3'}'\n" * repeats)
        long = Path(folder) / "long.mp3"
        subprocess.run(
            [ffmpeg_exe(), "-v", "fatal", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-c", "copy", str(long)], check=True,
        )  # fmt: skip
        began = time.perf_counter()
        command = [str(Path(PYTHON).parent / "bitesearch"), "--archive", f"{folder}/archive",
                   "ingest", str(long), "--json", "--quiet"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = json.loads(done.stdout)[0]
        print(f"{report['duration'] / 3600:.2f} h recording ingested in {seconds:.0f} s "
              f"(RTF {seconds / report['duration']:.4f}); peak memory {peak:.0f} MB; "
              f"{report['talks']} talks, {report['passages']} passages")  # fmt: skip
        stages = report["stages"]
        print("stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        outside = seconds - stages["transcribe"]
        print(f"not transcription: {outside:.0f} s = {outside / seconds:.1%} of the wall time "
              f"(goal 10 %); voice embedding inside the transcribe stage's workers: "
              f"{stages.get('voices', 0):.0f} CPU s")  # fmt: skip


def jobs() -> None:
    """Two recordings one after the other, then with --jobs 2 (one progress display)."""
    from longtalk import long_talk

    files = [SAMPLE / "edition.mp3", long_talk().audio]
    tool = str(Path(PYTHON).parent / "bitesearch")
    took = {}
    for label, extra in (("one by one", []), ("--jobs 2", ["--jobs", "2"])):
        with tempfile.TemporaryDirectory() as folder:
            began = time.perf_counter()
            subprocess.run([tool, "--archive", f"{folder}/a", "ingest", *map(str, files), "--quiet",
                            *extra], check=True, capture_output=True)  # fmt: skip
            took[label] = time.perf_counter() - began
    print(
        f"ingest sample + ten-minute talk: one by one {took['one by one']:.1f} s, "
        f"--jobs 2 {took['--jobs 2']:.1f} s ({took['--jobs 2'] / took['one by one']:.2f}x)"
    )


def help_time() -> None:
    tool = str(Path(PYTHON).parent / "bitesearch")
    floor = process_seconds([PYTHON, "-c", "pass"])
    helped = process_seconds([tool, "--help"])
    checked = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "bitesearch.cli", "--help"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    heavy = [
        m
        for m in ("torch", "ctranslate2", "whisper", "faster_whisper")
        if f" {m}\n" in checked.stderr
    ]
    print(f"`bitesearch --help` process: median {helped:.3f} s (python -c pass: {floor:.3f} s; "
          f"goal 0.3 s); heavy modules imported: {heavy or 'none'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help="comma-separated indexes into SETTINGS (default all)")
    parser.add_argument("--parts", action="store_true")
    parser.add_argument("--long", type=float, metavar="HOURS")
    parser.add_argument("--jobs", action="store_true")
    parser.add_argument("--help-time", action="store_true")
    args = parser.parse_args()
    if args.child:
        engine, fields, workers, audio = json.loads(args.child)
        child(engine, fields, workers, Path(audio))
    elif args.parts:
        parts()
    elif args.long:
        long_ingest(args.long)
    elif args.jobs:
        jobs()
    elif args.help_time:
        help_time()
    else:
        chosen = (
            [int(i) for i in args.settings.split(",")] if args.settings else range(len(SETTINGS))
        )
        settings_table(list(chosen))


if __name__ == "__main__":
    main()
