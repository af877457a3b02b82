"""Voice embeddings: who sounds like whom, in short sliding windows over the speech.

Resemblyzer's encoder (its weights ship in the wheel; `voicemodel.py` runs it in numpy) turns
each 1.6-second window of speech into a 256-dimensional unit vector; windows of one voice point
the same way.
Only windows that hold words are embedded, so silence and applause cost nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bitesearch.audio import Block
    from bitesearch.models import Word
    from bitesearch.split.voicemodel import VoiceEncoder

FRAME_SECONDS = 0.01  # resemblyzer's mel frames are 10 ms apart
WINDOW_FRAMES = 160  # 1.6 s: the encoder's own partial-utterance length
HOP_FRAMES = 100  # 1 s between window starts: each second of speech is in one or two windows
HOP_SECONDS = HOP_FRAMES * FRAME_SECONDS
MIN_SPEECH = 0.5  # a window is embedded when at least half of it is words
# windows in one pass of the encoder: the LSTM's matrix products get more efficient up to about
# 500 rows (the weights are packed once per product, whatever the rows); a 1.6-s window's mel
# is 25 kB, so a batch's is 13 MB
BATCH = 512


@dataclass
class VoiceWindows:
    """Embedded windows: centre times (seconds) and unit vectors, one row per window."""

    times: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


def available() -> bool:
    """Whether voices can be embedded here: resemblyzer's weights file is installed (the model
    runs in numpy, so this imports nothing heavy)."""
    from bitesearch.split.voicemodel import weights_path

    return weights_path() is not None


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
    from bitesearch.split.voicemodel import mel_spectrogram, normalize_volume

    mel = mel_spectrogram(normalize_volume(audio))
    mask = speech_mask(words, len(mel))
    starts = [
        s
        for s in range(0, max(len(mel) - WINDOW_FRAMES, 0) + 1, HOP_FRAMES)
        if mask[s : s + WINDOW_FRAMES].mean() >= MIN_SPEECH
    ]
    if not starts:
        return VoiceWindows(np.zeros(0), np.zeros((0, 256), dtype=np.float32))
    times = (np.array(starts) + WINDOW_FRAMES / 2) * FRAME_SECONDS
    return VoiceWindows(times, _embed(mel, starts))


def _embed(mel: np.ndarray, starts: list[int]) -> np.ndarray:
    """The windows' vectors, batch by batch, with numpy's BLAS held to one thread: BLAS threads
    wait for each other at every step of the LSTM, which on a busy machine costs several times
    the arithmetic. (A thread per core, each with its own batches, was slower too on the busy
    2-core machine this was measured on: 1.8 s against 1.6 s for the sample edition.)"""
    from threadpoolctl import threadpool_limits

    encoder = _encoder()
    vectors = []
    with threadpool_limits(limits=1, user_api="blas"):
        for b in range(0, len(starts), BATCH):
            batch = np.stack([mel[s : s + WINDOW_FRAMES] for s in starts[b : b + BATCH]])
            vectors.append(encoder.embed(batch))
    return np.concatenate(vectors)


_ENCODER: VoiceEncoder | None = None
_LOADING = threading.Lock()


def _encoder() -> VoiceEncoder:
    """The encoder, loaded once per process, whichever transcription worker asks first."""
    global _ENCODER
    with _LOADING:
        if _ENCODER is None:
            from bitesearch.split.voicemodel import VoiceEncoder

            _ENCODER = VoiceEncoder()
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
