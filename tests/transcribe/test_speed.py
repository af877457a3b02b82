"""The fast path: blocks decoded as needed, batched decoding with its safety net, the
programme's names as hotwords, and several recordings at once (--jobs)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from bitesearch.archive import Archive
from bitesearch.audio import WHISPER_RATE, decode_for_whisper, stream_blocks
from bitesearch.models import Programme, ProgrammeTalk, Segment, Word
from bitesearch.programme import load_programme
from bitesearch.transcribe.common import TranscribeOptions
from bitesearch.transcribe.fasterwhisper import _missed, _pack, _sentences
from bitesearch.transcribe.run import transcribe
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, cut, run

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("seconds", [20.0, 60.0, 124.0, 1000.0])
def test_blocks_are_the_whole_recording_cut_at_quiet_moments(seconds: float) -> None:
    whole = decode_for_whisper(SAMPLE_AUDIO)
    blocks = list(stream_blocks(SAMPLE_AUDIO, seconds))
    joined = np.concatenate([b.samples for b in blocks])
    assert np.array_equal(joined, whole)  # nothing lost, nothing doubled
    for before, after in itertools.pairwise(blocks):
        assert after.offset == pytest.approx(before.end)
        # each cut is quieter than the speech around it
        at = int(after.offset * WHISPER_RATE)
        cut_level = np.abs(whole[at - 800 : at + 800]).mean()
        assert cut_level < np.abs(whole).mean()
    if seconds < 200:  # the last scrap never stands alone
        assert len(blocks) >= 2
        assert blocks[-1].end - blocks[-1].offset > 7.0


def test_speech_regions_pack_into_whisper_windows() -> None:
    regions = [(0.5, 10.0), (11.0, 25.0), (26.0, 40.0), (41.0, 42.0), (80.0, 85.0)]
    clips = _pack(regions)
    assert clips == [
        {"start": 0.5, "end": 25.0},
        {"start": 26.0, "end": 42.0},
        {"start": 80.0, "end": 85.0},
    ]
    assert all(c["end"] - c["start"] <= 30.0 for c in clips)


def test_speech_without_words_is_found_for_a_second_pass() -> None:
    words = [Word(1.0, 1.4, " one"), Word(1.5, 2.0, " two"), Word(9.0, 9.5, " three")]
    found = [Segment(1.0, 9.5, "one two three", words)]
    # 2.0 to 9.0 is speech with no word in it; 20-21 is too short to matter
    assert _missed([(0.8, 9.7), (20.0, 21.0)], found) == [(2.0, 9.0)]
    assert _missed([(0.8, 9.7)], []) == [(0.8, 9.7)]


def test_a_window_becomes_one_segment_per_sentence() -> None:
    words = [Word(i, i + 0.5, f" w{i}{'.' if i in (2, 5) else ''}") for i in range(8)]
    pieces = list(_sentences(Segment(0, 8, "", words)))
    assert [p.text for p in pieces] == ["w0 w1 w2.", "w3 w4 w5.", "w6 w7"]
    assert [(p.start, p.end) for p in pieces] == [(0, 2.5), (3, 5.5), (6, 7.5)]


def test_batched_and_sequential_decoding_agree_on_real_speech() -> None:
    """The batched decoder (default) hears what the sequential one does on the handover."""
    audio = decode_for_whisper(FIXTURES / "handover.mp3")
    batched = transcribe(audio, TranscribeOptions())
    sequential = transcribe(audio, TranscribeOptions(batch_size=0, beam_size=5))
    plain = [re.sub(r"\W", "", w.text).lower() for w in batched.words()]
    other = [re.sub(r"\W", "", w.text).lower() for w in sequential.words()]
    common = len(set(plain) & set(other))
    assert common >= 0.85 * len(set(other))
    assert batched.settings["batch_size"] == 4 and sequential.settings["batch_size"] == 0


def test_the_programme_names_become_hotwords() -> None:
    programme = load_programme(SAMPLE_PROGRAMME)
    vocabulary = programme.vocabulary()
    assert vocabulary.startswith("Data Bites, Dan Barrett, Sam Milsom, St Helens Council")
    assert "Merseycare NHS" in vocabulary and vocabulary.count("Merseycare NHS") == 1
    assert "Dashboards" not in vocabulary  # titles are left out (they hurt, measured)
    many = Programme(talks=[ProgrammeTalk([f"Speaker Number {i}"]) for i in range(100)])
    assert len(many.vocabulary()) <= 400


def test_ingest_spells_the_programme_names(sample_archive: Path) -> None:
    """tiny.en alone hears "Milsom" as Nelson and "Merseycare" as Mercycare: the programme's
    names, given as hotwords, fix them."""
    transcript = Archive(sample_archive).load_transcript("data-bites-056")
    assert transcript is not None
    assert "Sam Milsom" in transcript.settings["hotwords"]
    text = " ".join(s.text for s in transcript.segments)
    for name in ("Milsom", "St Helens", "Merseycare", "Priya Shah", "Alex Rivers"):
        assert name in text


def test_jobs_ingest_several_recordings_with_one_display(tmp_path: Path) -> None:
    files = []
    for name in ("handover.mp3", "guard.mp3"):
        files.append(tmp_path / name)
        files[-1].write_bytes((FIXTURES / name).read_bytes())
    result = run("ingest", *files, "--jobs", "2", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    reports = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [Path(r["source"]).name for r in reports] == ["handover.mp3", "guard.mp3"]
    assert all(r["status"] == "ingested" and r["passages"] > 0 for r in reports)
    again = run("ingest", *files, "--jobs", "2", "--json")
    assert {r["status"] for r in json.loads(again.stdout)} == {"up to date"}  # type: ignore[attr-defined]


def test_bad_jobs_and_batch_size_are_refused() -> None:
    for option, value in (("--jobs", "0"), ("--batch-size", "-1")):
        result = run("ingest", SAMPLE_AUDIO, option, value)
        assert result.exit_code != 0
        assert option in result.stderr  # type: ignore[attr-defined]


def test_a_long_span_streams_through_ffmpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clip too long for pydub's memory (here: anything over 5 s) of a recording that is not
    MP3 is cut, faded and encoded by one ffmpeg process; it is the span asked for, and a failed
    cut leaves no file."""
    from bitesearch import audio
    from bitesearch.errors import BitesearchError

    monkeypatch.setattr(audio, "CLIP_IN_MEMORY", 5.0)
    wav = tmp_path / "edition.wav"
    cut(SAMPLE_AUDIO, 0.0, 60.0, wav)
    target = tmp_path / "long.mp3"
    audio.cut_clip(wav, 20.0, 50.0, target)
    assert audio.probe(target) == pytest.approx(30.0, abs=0.1)
    clip = decode_for_whisper(target)
    assert np.abs(clip[:160]).max() < np.abs(clip).max() / 20  # faded in
    assert audio.codec(target) == "mp3"
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio at all" * 100)
    with pytest.raises(BitesearchError, match="could not cut"):
        audio.cut_clip(broken, 0.0, 30.0, tmp_path / "none.mp3")
    assert not list(tmp_path.glob("none.mp3*")) and not list(tmp_path.glob(".none*"))


@pytest.mark.parametrize(("start", "end"), [(20.0, 50.0), (0.0, 12.5), (200.0, 247.0)])
def test_an_mp3_recordings_clip_is_its_own_frames(tmp_path: Path, start: float, end: float) -> None:
    """An MP3 recording's clip is copied, not re-encoded: the source's sample rate and bit
    rate, the span asked for to within a frame, and the same sound as the recording there."""
    import av

    from bitesearch import audio

    target = tmp_path / "clip.mp3"
    audio.cut_clip(SAMPLE_AUDIO, start, end, target)
    with av.open(str(SAMPLE_AUDIO)) as src, av.open(str(target)) as out:
        source_rate = src.streams.audio[0].codec_context.sample_rate
        assert out.streams.audio[0].codec_context.sample_rate == source_rate
    assert audio.codec(target) == "mp3"
    assert audio.probe(target) == pytest.approx(end - start, abs=0.06)
    whole = decode_for_whisper(SAMPLE_AUDIO)
    clip = decode_for_whisper(target)
    middle = int((end - start) / 2 * 16_000)
    here = whole[int(start * 16_000) + middle - 8000 : int(start * 16_000) + middle + 8000]
    shifted = [clip[middle - 8000 + k : middle + 8000 + k] for k in range(-800, 801)]
    lags = [float(np.dot(here, piece)) for piece in shifted]
    assert max(lags) > 0.9 * float(np.dot(here, here))  # the same sound, within 50 ms
