"""Transcripts that already exist: WebVTT, SubRip and Whisper JSON, read and ingested."""

import json
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError
from bitesearch.sources import captions
from tests.conftest import run

VTT = """WEBVTT
Kind: captions

NOTE written by hand

intro
00:00:01.000 --> 00:00:04.000 align:start
<v Dan Barrett>Welcome to Data Bites, everyone.</v>

00:00:04.000 --> 00:00:08.500
Tonight we talk about open &amp; shared data

00:00:08.500 --> 00:01:10.000
Tonight we talk about open &amp; shared data
in local government and the NHS.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Welcome to Data Bites, everyone.

2
00:00:04,000 --> 00:00:08,500
Tonight we talk about <i>open data</i>.
"""

WHISPER = {
    "text": "Welcome. Open data.",
    "segments": [
        {"start": 0.5, "end": 1.5, "text": " Welcome.",
         "words": [{"word": " Welcome.", "start": 0.6, "end": 1.2, "probability": 0.9}]},
        {"start": 2.0, "end": 3.0, "text": " Open data."},
    ],
}  # fmt: skip


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_webvtt(tmp_path: Path) -> None:
    transcript = captions.load(write(tmp_path, "talk.vtt", VTT))
    texts = [s.text for s in transcript.segments]
    assert texts == [
        "Welcome to Data Bites, everyone.",
        "Tonight we talk about open & shared data",
        "in local government and the NHS.",  # the rolling repeat of the cue before is dropped
    ]
    assert transcript.duration == 70.0 and transcript.engine == "captions:vtt"
    assert transcript.settings["word_times"] == "spread"
    words = transcript.segments[0].words
    assert [w.start for w in words] == [1.0, 1.6, 2.2, 2.8, 3.4] and words[-1].end == 4.0


def test_subrip(tmp_path: Path) -> None:
    transcript = captions.load(write(tmp_path, "talk.srt", SRT))
    assert [s.text for s in transcript.segments][1] == "Tonight we talk about open data."
    assert transcript.segments[1].start == 4.0 and transcript.segments[1].end == 8.5


def test_whisper_json_keeps_its_word_times(tmp_path: Path) -> None:
    transcript = captions.load(write(tmp_path, "talk.json", json.dumps(WHISPER)))
    assert transcript.settings["word_times"] == "given"
    assert transcript.segments[0].words[0].start == 0.6
    assert [w.text for w in transcript.segments[1].words] == [" Open", " data."]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("a.vtt", "WEBVTT\n\n", "no captions", id="empty-vtt"),
        pytest.param("a.json", '{"text": "hi"}', "no 'segments'", id="json-without-segments"),
        pytest.param("a.json", "{", "not valid JSON", id="broken-json"),
        pytest.param("a.json", '{"segments": [{"start": 1}]}', "lacks", id="segment-without-text"),
    ],
)
def test_unreadable_transcripts(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(BitesearchError, match=message):
        captions.load(write(tmp_path, name, content))


def test_an_archive_from_captions_alone(tmp_path: Path, own_archive: Path) -> None:
    source = write(tmp_path, "edition.vtt", VTT)
    result = run("ingest", source, "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["status"] == "ingested" and report["duration"] == 70.0
    folder = own_archive / "recordings" / report["edition_id"]
    assert (folder / "captions.vtt").read_text() == VTT and not (folder / "clips").exists()
    transcript = Archive(own_archive).load_transcript(report["edition_id"])
    assert transcript is not None and transcript.engine == "captions:vtt"
    hits = json.loads(run("query", "government", "--json").stdout)
    assert hits[0]["edition_id"] == report["edition_id"]
    (again,) = json.loads(run("ingest", source, "--json").stdout)
    assert again["status"] == "up to date"


def test_a_transcript_beside_the_audio(short_clip: Path, tmp_path: Path, own_archive: Path) -> None:
    source = write(tmp_path, "opening.srt", SRT)
    result = run("ingest", short_clip, "--transcript", source, "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    transcript = Archive(own_archive).load_transcript(report["edition_id"])
    assert transcript is not None and transcript.engine == "captions:srt"  # read, not transcribed
    folder = own_archive / "recordings" / report["edition_id"]
    assert len(list((folder / "clips").iterdir())) == 1
