"""Measure how far apart the voices of a generated edition are, and how well Whisper hears them.

    .venv/bin/python scripts/voice_table.py recordings/sample [--whisper]
    .venv/bin/python scripts/voice_table.py tests/fixtures/handover.mp3

For each voice of truth.json: its 1.6-s resemblyzer windows (``bitesearch.voices.embed_windows``
on the decoded audio, kept when at least 90 % of the window is that voice's utterances), their
centroid, and how alike its own windows are (mean window-to-own-centroid cosine). Prints the
centroid-to-centroid cosine matrix and every pair of voices that meet in one slot (the host,
the slot's speakers, its audience member) above LIMIT. With ``--whisper``: transcribes the
edition with the bundled model and prints each voice's word recall (share of the script's
words heard, in order) and the speaker names it missed.
"""

from __future__ import annotations

import argparse
import json
import re
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from bitesearch.audio import decode_for_whisper
from bitesearch.models import Word
from bitesearch.split.voices import FRAME_SECONDS, WINDOW_FRAMES, embed_windows

LIMIT = 0.75  # the most alike two voices that meet in one slot may be
PURE = 0.9  # share of a window that must be the voice's own utterances
WINDOW = WINDOW_FRAMES * FRAME_SECONDS

Truth = dict[str, object]


def voice_windows(audio: np.ndarray, truth: Truth, voice: str) -> np.ndarray:
    """Unit vectors of the windows that are (almost) only this voice."""
    spans = [(u["start"], u["end"]) for u in truth["utterances"] if u["voice"] == voice]  # type: ignore[attr-defined, index]
    words = [Word(float(s), float(e), "x") for s, e in spans]
    windows = embed_windows(audio, words)
    keep = [
        i
        for i, t in enumerate(windows.times)
        if sum(max(0.0, min(e, t + WINDOW / 2) - max(s, t - WINDOW / 2)) for s, e in spans)
        >= PURE * WINDOW
    ]
    return windows.vectors[keep]


def unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def meeting_pairs(truth: Truth) -> set[tuple[str, str]]:
    """Pairs of voices heard in one slot, the host counting in every slot."""
    by_slot: dict[int, set[str]] = {}
    for u in truth["utterances"]:  # type: ignore[attr-defined]
        by_slot.setdefault(u["slot"], set()).add(u["voice"])
    pairs = set()
    for slot, voices in by_slot.items():
        if slot == 0:
            continue
        members = sorted(voices | {"host"})
        pairs |= {(a, b) for a in members for b in members if a < b}
    return pairs


def similarity_table(audio: np.ndarray, truth: Truth) -> tuple[list[str], np.ndarray, dict]:
    """Voices in order of appearance, their centroid cosine matrix, and per-voice stats."""
    voices = list(dict.fromkeys(u["voice"] for u in truth["utterances"]))  # type: ignore[attr-defined]
    stats, centroids = {}, []
    for voice in voices:
        vectors = voice_windows(audio, truth, voice)
        centroid = unit(vectors.mean(axis=0))
        centroids.append(centroid)
        stats[voice] = (len(vectors), float((vectors @ centroid).mean()))
    matrix = np.stack(centroids) @ np.stack(centroids).T
    return voices, matrix, stats


def print_table(voices: list[str], matrix: np.ndarray, stats: dict, pairs: set) -> int:
    """Print the matrix (a * marks a meeting pair above LIMIT); returns how many there are."""
    print(f"{'':>10} {'wins':>4} {'self':>5} " + " ".join(f"{v[:6]:>6}" for v in voices))
    bad = 0
    for i, a in enumerate(voices):
        cells = []
        for j, b in enumerate(voices):
            over = tuple(sorted((a, b))) in pairs and matrix[i, j] > LIMIT and i != j
            bad += over and i < j
            cells.append(f"{matrix[i, j]:5.2f}{'*' if over else ' '}")
        print(f"{a:>10} {stats[a][0]:4d} {stats[a][1]:5.2f} " + " ".join(cells))
    worst = max((matrix[voices.index(a), voices.index(b)], a, b) for a, b in pairs)
    print(f"meeting pairs above {LIMIT}: {bad}; most alike meeting pair: "
          f"{worst[1]}~{worst[2]} {worst[0]:.2f}")  # fmt: skip
    return bad


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def whisper_report(audio: np.ndarray, truth: Truth, names: list[str]) -> None:
    """Per voice: recall of the script's words in the transcript, and names not heard."""
    from bitesearch.transcribe.common import TranscribeOptions
    from bitesearch.transcribe.run import transcribe

    words = transcribe(audio, TranscribeOptions()).words()
    per_voice: dict[str, list[float]] = {}
    missed: dict[str, set[str]] = {}
    for u in truth["utterances"]:  # type: ignore[attr-defined]
        lo, hi = u["start"] - 0.3, u["end"] + 0.3
        heard = [w.text for w in words if lo <= (w.start + w.end) / 2 <= hi]
        want, got = tokens(u["text"]), tokens(" ".join(heard))
        match = SequenceMatcher(None, want, got, autojunk=False)
        hits = sum(b.size for b in match.get_matching_blocks())
        per_voice.setdefault(u["voice"], []).extend([hits, len(want)])
        for name in names:
            if name.lower() in u["text"].lower() and name.lower() not in " ".join(got):
                missed.setdefault(u["voice"], set()).add(name)
    for voice, counts in per_voice.items():
        recall = sum(counts[0::2]) / max(sum(counts[1::2]), 1)
        print(f"  {voice:>10}: word recall {recall:.0%}; names missed: "
              f"{', '.join(sorted(missed.get(voice, ()))) or 'none'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "edition", type=Path, help="folder with edition.mp3 + truth.json, or X.mp3 beside X.json"
    )
    parser.add_argument("--whisper", action="store_true", help="also measure recognition")
    args = parser.parse_args()
    mp3, truth_file = args.edition / "edition.mp3", args.edition / "truth.json"
    if args.edition.suffix == ".mp3":
        mp3, truth_file = args.edition, args.edition.with_suffix(".json")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    audio = decode_for_whisper(mp3)
    voices, matrix, stats = similarity_table(audio, truth)
    print_table(voices, matrix, stats, meeting_pairs(truth))
    if args.whisper:
        people = {u["speaker"] for u in truth["utterances"]} - {"audience"}
        names = sorted({part for person in people for part in person.split()})
        whisper_report(audio, truth, names)


if __name__ == "__main__":
    main()
