"""The bundled Whisper model on the sample's real (synthesised) speech."""

import itertools
import re
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.audio import decode_for_whisper
from bitesearch.errors import UsageError
from bitesearch.transcribe.common import TranscribeOptions
from bitesearch.transcribe.engines import load_engine
from bitesearch.transcribe.fasterwhisper import FIT_MARGIN, _batches, resolve_model
from bitesearch.transcribe.run import transcribe
from tests.conftest import run

# Words the script says once, in one utterance: (word as Whisper writes it, words of that utterance)
KNOWN = [
    ("portal", "So we built a simple open data portal."),
    ("Power", "We rebuilt everything in Power BI"),
    ("chatbots", "First, chatbots."),
    ("predict", "Second, machine learning to predict"),
    ("residents", "We ask residents what they need"),
]


def utterance(truth: dict, beginning: str) -> dict:
    return next(u for u in truth["utterances"] if u["text"].startswith(beginning))


@pytest.mark.parametrize(("word", "line"), KNOWN)
def test_known_words_at_known_times(
    sample_archive: Path, truth: dict, word: str, line: str
) -> None:
    transcript = Archive(sample_archive).load_transcript("data-bites-056")
    assert transcript is not None
    said = utterance(truth, line)
    heard = [w for w in transcript.words() if re.sub(r"\W", "", w.text).lower() == word.lower()]
    assert heard, f"{word!r} not transcribed"
    # the word falls inside the utterance that says it, give or take a second and a half
    assert any(said["start"] - 1.5 <= w.start <= said["end"] + 1.5 for w in heard)


def test_transcript_records_how_it_was_made(sample_archive: Path) -> None:
    transcript = Archive(sample_archive).load_transcript("data-bites-056")
    assert transcript is not None
    assert transcript.engine == "faster-whisper"
    assert transcript.model == "tiny.en"
    assert transcript.settings["vad_filter"] is True
    assert transcript.settings["compute_type"] == "int8"
    assert 245 < transcript.duration < 250
    words = transcript.words()
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))


def test_applause_and_silence_give_no_words(sample_archive: Path, truth: dict) -> None:
    transcript = Archive(sample_archive).load_transcript("data-bites-056")
    assert transcript is not None
    for clap in truth["applause"]:
        inside = [
            w for w in transcript.words() if clap["start"] + 0.3 < w.start < clap["end"] - 0.3
        ]
        assert not inside, f"words invented over applause at {clap}: {inside}"


def test_transcribe_reports_progress(short_clip: Path) -> None:
    seen: list[float] = []
    audio = decode_for_whisper(short_clip)
    result = transcribe(audio, TranscribeOptions(beam_size=1), on_progress=seen.append)
    assert "welcome" in " ".join(s.text for s in result.segments).lower()
    assert seen == sorted(seen) and seen[-1] == pytest.approx(result.duration)


def test_windows_of_like_length_are_batched_together() -> None:
    lengths = [29.0, 4.0, 28.5, 6.0, 27.0, 5.0, 30.0, 3.0]
    clips = [{"start": 40.0 * i, "end": 40.0 * i + n} for i, n in enumerate(lengths)]
    batches = _batches(clips, 4)
    assert [sorted(c["end"] - c["start"] for c in b) for b in batches] == [
        [3.0, 4.0, 5.0, 6.0],
        [27.0, 28.5, 29.0, 30.0],
    ]
    assert all(b == sorted(b, key=lambda c: c["start"]) for b in batches)  # time order inside


def test_encoder_input_fits_the_longest_window(short_clip: Path) -> None:
    """Real speech, the real model: a 22-s clip is encoded as 22 s (+ the margin), not 30,
    and its words still come out."""
    engine = load_engine(TranscribeOptions())
    model = engine._model  # type: ignore[attr-defined]
    shapes: list[tuple[int, ...]] = []
    real = type(model).encode

    def spy(features):  # type: ignore[no-untyped-def]
        shapes.append(tuple(features.shape))
        return real(model, features)

    model.encode = spy
    try:
        result = transcribe(decode_for_whisper(short_clip), TranscribeOptions(), engine=engine)
    finally:
        del model.encode
    assert shapes, "the batched pipeline did not run"
    assert all(s[-1] <= (22 + 1 + FIT_MARGIN) * 100 for s in shapes), shapes
    assert "welcome" in " ".join(s.text for s in result.segments).lower()


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(UsageError, match=r"tiny\.en"):
        resolve_model("enormous-v9")


def test_unknown_engine_lists_the_choices() -> None:
    with pytest.raises(UsageError, match="faster-whisper"):
        load_engine(TranscribeOptions(engine="vosk"))


def test_model_folder_without_weights(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"model\.bin"):
        resolve_model(str(tmp_path))


def test_cli_rejects_unknown_model(short_clip: Path, own_archive: Path) -> None:
    result = run("ingest", short_clip, "--model", "enormous-v9")
    assert result.exit_code == 2
    assert "unknown model" in result.stderr
    assert not own_archive.exists()
