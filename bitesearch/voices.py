"""Voice embeddings: who sounds like whom, in short sliding windows over the speech.

Resemblyzer's encoder (its weights ship in the wheel; it runs on the CPU) turns each 1.6-second
window of speech into a 256-dimensional unit vector; windows of one voice point the same way.
Only windows that hold words are embedded, so silence and applause cost nothing.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bitesearch.errors import BitesearchError

if TYPE_CHECKING:
    from bitesearch.audio import Block
    from bitesearch.models import Word

FRAME_SECONDS = 0.01  # resemblyzer's mel frames are 10 ms apart
WINDOW_FRAMES = 160  # 1.6 s: the encoder's own partial-utterance length
HOP_FRAMES = 100  # 1 s between window starts: each second of speech is in one or two windows
HOP_SECONDS = HOP_FRAMES * FRAME_SECONDS
MIN_SPEECH = 0.5  # a window is embedded when at least half of it is words
BATCH = 256


@dataclass
class VoiceWindows:
    """Embedded windows: centre times (seconds) and unit vectors, one row per window."""

    times: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


def available() -> bool:
    """Whether the voice model can be loaded here (resemblyzer and torch installed), without
    importing them: a run with nothing to redo must not pay a second for torch."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("resemblyzer", "torch", "librosa"))


def speech_mask(words: list[Word], n_frames: int) -> np.ndarray:
    """A per-frame flag: is this 10-ms frame inside a transcribed word (or the gap between
    two words of the same run)?"""
    mask = np.zeros(n_frames, dtype=bool)
    for i, w in enumerate(words):
        end = w.end
        if i + 1 < len(words) and words[i + 1].start - w.end < 0.3:
            end = words[i + 1].start  # short gaps inside speech count as speech
        mask[int(w.start / FRAME_SECONDS) : int(end / FRAME_SECONDS) + 1] = True
    return mask


def embed_windows(audio: np.ndarray, words: list[Word]) -> VoiceWindows:
    """Embed every window of speech in audio (16 kHz mono float32)."""
    try:
        import torch
        from resemblyzer import VoiceEncoder
        from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram
    except ImportError as exc:
        raise BitesearchError(
            f"voice-aware splitting needs resemblyzer and torch ({exc.name} is missing): "
            "run `make setup`, or `pip install torch==2.13.0 webrtcvad-wheels librosa` "
            "and `pip install --no-deps resemblyzer`"
        ) from None
    torch.set_num_threads(os.cpu_count() or 1)
    mel = wav_to_mel_spectrogram(normalize_volume(audio, -30, increase_only=True))
    mask = speech_mask(words, len(mel))
    starts = [
        s
        for s in range(0, max(len(mel) - WINDOW_FRAMES, 0) + 1, HOP_FRAMES)
        if mask[s : s + WINDOW_FRAMES].mean() >= MIN_SPEECH
    ]
    if not starts:
        return VoiceWindows(np.zeros(0), np.zeros((0, 256), dtype=np.float32))
    encoder = _encoder(VoiceEncoder)
    vectors = []
    with torch.no_grad():
        for b in range(0, len(starts), BATCH):
            batch = np.stack([mel[s : s + WINDOW_FRAMES] for s in starts[b : b + BATCH]])
            vectors.append(encoder(torch.from_numpy(batch)).numpy())
    times = (np.array(starts) + WINDOW_FRAMES / 2) * FRAME_SECONDS
    return VoiceWindows(times, np.concatenate(vectors))


_ENCODER: Any = None
_LOADING = threading.Lock()


def _encoder(cls: type) -> Any:
    """The encoder, loaded once per process (loading costs about a second), whichever
    transcription worker asks first."""
    global _ENCODER
    with _LOADING:
        if _ENCODER is None:
            _ENCODER = cls("cpu", verbose=False)
    return _ENCODER


def save_windows(path: Path, windows: VoiceWindows, key: str) -> None:
    """Keep embedded windows beside the transcript they were made for (atomically)."""
    from bitesearch.archive import atomic_write

    with atomic_write(path, "wb") as handle:
        np.savez(handle, times=windows.times, vectors=windows.vectors, key=np.array(key))


def load_windows(path: Path, key: str) -> VoiceWindows | None:
    """The windows kept for this transcript key, or None (missing, stale or damaged)."""
    try:
        with np.load(path) as data:
            if str(data["key"]) != key:
                return None
            return VoiceWindows(data["times"], data["vectors"])
    except (OSError, KeyError, ValueError):
        return None


def embed_block(block: Block, words: list[Word]) -> VoiceWindows:
    """Embed the speech windows of one block of a recording (words and times in the
    recording's time)."""
    shifted = [replace(w, start=w.start - block.offset, end=w.end - block.offset) for w in words]
    found = embed_windows(block.samples, shifted)
    return VoiceWindows(found.times + block.offset, found.vectors)


def join(parts: list[VoiceWindows]) -> VoiceWindows:
    """Blocks' windows as one, in time order (blocks may finish out of order)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return VoiceWindows(np.zeros(0), np.zeros((0, 256), dtype=np.float32))
    times = np.concatenate([p.times for p in parts])
    order = np.argsort(times, kind="stable")
    return VoiceWindows(times[order], np.concatenate([p.vectors for p in parts])[order])
