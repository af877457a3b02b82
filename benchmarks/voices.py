"""Voice embedding of the sample edition: resemblyzer on torch (the old path) beside the numpy
encoder (voicemodel.py), each in a fresh process, so import and first-call costs count.

    .venv/bin/python benchmarks/voices.py [--runs 3]

The speech windows are those an ingest embeds, with the sample's truth (truth.json) as the
words. Each run starts one process per variant, interleaved, and prints the median wall and
CPU seconds of: the imports, the first embedding (mel spectrogram, model load, LSTM) and a
second one in the same process (no first-call costs), then the largest difference between the
old and new vectors. Variants:

- old: the code before voicemodel.py (torch with a thread per core, librosa's mel);
- old, 1 thread: the same with torch.set_num_threads(1), to show what torch's threads cost;
- new: bitesearch.voices.embed_windows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recordings" / "sample"
VARIANTS = {"old": "old", "old, 1 thread": "old1", "new": "new"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "AUDIO", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import numpy as np

    from bitesearch.audio import decode_for_whisper

    folder = Path(tempfile.mkdtemp(prefix="bitesearch-voices-"))
    np.save(folder / "audio.npy", decode_for_whisper(SAMPLE / "edition.mp3"))
    results: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    for _ in range(args.runs):
        for name, code in VARIANTS.items():
            results[name].append(run_child(code, folder))
    report(results, folder, args.runs)


def run_child(code: str, folder: Path) -> dict[str, float]:
    began = time.perf_counter()
    command = [sys.executable, __file__, "--child", code, str(folder / "audio.npy")]
    out = subprocess.run(
        [*command, str(folder / f"{code}.npz")], check=True, capture_output=True, text=True
    )
    figures = json.loads(out.stdout)
    figures["process"] = time.perf_counter() - began
    return figures


def report(results: dict[str, list[dict[str, float]]], folder: Path, runs: int) -> None:
    import numpy as np

    rows = [
        ("imports", "import"),
        ("first embedding", "first"),
        ("second embedding", "second"),
        ("imports + first", "total"),
    ]
    names = list(results)
    print(f"sample edition, median of {runs} fresh processes per variant (wall / CPU seconds)")
    print(f"{'':<18}" + "".join(f"{name:>17}" for name in names))
    for label, key in rows:
        cells = [
            f"{median(results[n], key):7.2f} / {median(results[n], key + '_cpu'):5.2f}"
            for n in names
        ]
        print(f"{label:<18}" + "".join(f"{cell:>17}" for cell in cells))
    processes = "".join(f"{median(results[n], 'process'):17.2f}" for n in names)
    print(f"{'whole process':<18}{processes}")
    old_total, new_total = median(results["old"], "total"), median(results["new"], "total")
    print(f"new / old (imports + first embedding, wall): {new_total / old_total:.1%}")
    with np.load(folder / "old.npz") as old, np.load(folder / "new.npz") as new:
        assert np.array_equal(old["times"], new["times"])
        diff = float(np.abs(old["vectors"] - new["vectors"]).max())
        cosine = float((old["vectors"] * new["vectors"]).sum(axis=1).min())
        windows = len(old["times"])
        print(f"{windows} windows; largest difference {diff:.1e}, lowest cosine {cosine:.7f}")


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def child(variant: str, audio_path: str, out: str) -> None:
    """One fresh process: time the imports, then two embeddings; print the figures as JSON."""
    clock = Clock()
    import numpy as np

    from bitesearch.models import Word
    from bitesearch.split import voices

    embed = voices.embed_windows
    if variant in ("old", "old1"):
        # imported here to be timed (old_embed_windows finds them in sys.modules)
        import resemblyzer.audio  # noqa: F401
        import torch  # noqa: F401

        def embed(audio: np.ndarray, words: list[Word]) -> voices.VoiceWindows:
            return old_embed_windows(audio, words, threads=variant == "old")

    figures = clock.lap("import")
    audio = np.load(audio_path)
    truth = json.loads((SAMPLE / "truth.json").read_text())
    words = [Word(u["start"], u["end"], u["text"]) for u in truth["utterances"]]
    clock.lap("load")
    windows = embed(audio, words)
    figures |= clock.lap("first")
    embed(audio, words)
    figures |= clock.lap("second")
    figures["total"] = figures["import"] + figures["first"]
    figures["total_cpu"] = figures["import_cpu"] + figures["first_cpu"]
    np.savez(out, times=windows.times, vectors=windows.vectors)
    print(json.dumps(figures))


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> dict[str, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        figures = {name: wall - self.wall, f"{name}_cpu": cpu - self.cpu}
        self.wall, self.cpu = wall, cpu
        return figures


def old_embed_windows(audio: Any, words: list[Any], threads: bool) -> Any:
    """bitesearch.voices.embed_windows as it was before voicemodel.py (commit 4a01c97)."""
    import os

    import numpy as np
    import torch
    from resemblyzer import VoiceEncoder
    from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram

    from bitesearch.split import voices

    torch.set_num_threads((os.cpu_count() or 1) if threads else 1)
    mel = wav_to_mel_spectrogram(normalize_volume(audio, -30, increase_only=True))
    mask = voices.speech_mask(words, len(mel))
    size, hop = voices.WINDOW_FRAMES, voices.HOP_FRAMES
    starts = [
        s
        for s in range(0, max(len(mel) - size, 0) + 1, hop)
        if mask[s : s + size].mean() >= voices.MIN_SPEECH
    ]
    global _OLD_ENCODER
    _OLD_ENCODER = _OLD_ENCODER or VoiceEncoder("cpu", verbose=False)
    vectors = []
    with torch.no_grad():
        for b in range(0, len(starts), OLD_BATCH):
            batch = np.stack([mel[s : s + size] for s in starts[b : b + OLD_BATCH]])
            vectors.append(_OLD_ENCODER(torch.from_numpy(batch)).numpy())
    times = (np.array(starts) + size / 2) * voices.FRAME_SECONDS
    return voices.VoiceWindows(times, np.concatenate(vectors))


OLD_BATCH = 256
_OLD_ENCODER: Any = None

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
