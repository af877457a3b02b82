"""Ingest: the archive it writes, re-runs that do no work twice, resuming after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from bitesearch.archive import Archive
from bitesearch.search.index import open_folder, open_index
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, cut, run, snapshot

EDITION = "data-bites-056"


def indexed_passages(archive: Path, edition_id: str = EDITION) -> int:
    with open_index(Archive(archive)).searcher() as searcher:
        return len(list(searcher.documents(edition_id=edition_id)))


def ingest_json(*args: str | Path) -> list[dict]:
    result = run("ingest", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_archive_layout(sample_archive: Path) -> None:
    folder = sample_archive / "recordings" / EDITION
    names = {p.name for p in folder.iterdir()}
    expected = {"source.mp3", "edition.json", "transcript.json", "voices.npz", "talks.json"}
    assert expected | {"clips"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    assert (folder / "source.mp3").read_bytes() == SAMPLE_AUDIO.read_bytes()
    edition = json.loads((folder / "edition.json").read_text())
    assert edition["schema"] == 1 and edition["programme"]["host"] == "Dan Barrett"
    assert (sample_archive / "index").is_dir()


def test_clips_are_the_talks(sample_archive: Path) -> None:
    split = Archive(sample_archive).load_split(EDITION)
    assert split is not None
    for talk in split.talks:
        with av.open(str(sample_archive / "recordings" / EDITION / talk.clip)) as clip:
            seconds = clip.duration / av.time_base
        assert seconds == pytest.approx(talk.end - talk.start, abs=0.3)


def test_summary_json(sample_copy: Path) -> None:
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    assert report["edition"] == 56 and report["talks"] == 3
    assert report["duration"] == pytest.approx(247.9, abs=1)
    assert set(report["stages"]) >= {"download", "transcribe", "segment", "index"}


def test_second_run_does_no_work(sample_copy: Path) -> None:
    before = snapshot(sample_copy)
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    assert report["status"] == "up to date"
    assert snapshot(sample_copy) == before
    assert indexed_passages(sample_copy) == len(Archive(sample_copy).load_split(EDITION).passages)


def test_changed_programme_resplits_without_transcribing_or_duplicating(
    sample_copy: Path, tmp_path: Path
) -> None:
    transcript = (sample_copy / "recordings" / EDITION / "transcript.json").read_bytes()
    embedded = (sample_copy / "recordings" / EDITION / "voices.npz").read_bytes()
    programme = tmp_path / "programme.toml"
    programme.write_text(
        SAMPLE_PROGRAMME.read_text().replace("Dashboards clinicians", "Charts clinicians")
    )
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", programme)
    assert report["status"] == "updated"
    assert (sample_copy / "recordings" / EDITION / "transcript.json").read_bytes() == transcript
    assert (sample_copy / "recordings" / EDITION / "voices.npz").read_bytes() == embedded
    split = Archive(sample_copy).load_split(EDITION)
    assert split.talks[1].title == "Charts clinicians actually use"
    assert indexed_passages(sample_copy) == len(split.passages)


def test_without_a_programme_one_untitled_talk(short_clip: Path, own_archive: Path) -> None:
    (report,) = ingest_json(short_clip)
    assert report["talks"] == 1 and report["method"] == "whole-recording"
    assert report["edition"] is None and report["edition_id"].startswith("opening-")
    rows = json.loads(run("talks", "--json").stdout)
    assert rows[0]["title"] == "" and rows[0]["speakers"] == ["Speaker 1"]
    assert {"edition", "talk", "talk_id", "speakers", "title", "start", "end", "estimated"} <= set(
        rows[0]
    )
    assert json.loads(run("query", "welcome", "--json").stdout)[0]["talk_id"] == rows[0]["talk_id"]


def test_a_programme_given_later_keeps_the_transcript(
    short_clip: Path, own_archive: Path, tmp_path: Path
) -> None:
    (first,) = ingest_json(short_clip)
    programme = tmp_path / "p.toml"
    programme.write_text(
        'series = "Data Bites"\nedition = 7\n[[talks]]\nspeakers = ["Dan Barrett"]\n'
    )
    made = _transcript(own_archive, first["edition_id"])
    # without the names as hotwords, Whisper is asked the same thing: the transcript is kept
    (second,) = ingest_json(short_clip, "--programme", programme, "--no-vocabulary")
    assert second["edition_id"] == "data-bites-007"
    assert _transcript(own_archive, "data-bites-007") == made
    assert not (own_archive / "recordings" / first["edition_id"]).exists()
    assert indexed_passages(own_archive, first["edition_id"]) == 0
    assert indexed_passages(own_archive, "data-bites-007") > 0
    # with them (the default), the programme's names change what Whisper is asked: heard again
    ingest_json(short_clip, "--programme", programme)
    again = _transcript(own_archive, "data-bites-007")
    assert again["key"] != made["key"] and "Dan Barrett" in again["settings"]["hotwords"]


def _transcript(archive: Path, edition_id: str) -> dict:
    return json.loads((archive / "recordings" / edition_id / "transcript.json").read_text())


def test_another_recording_for_the_same_edition(sample_copy: Path, short_clip: Path) -> None:
    before = snapshot(sample_copy)
    result = run("ingest", short_clip, "--programme", SAMPLE_PROGRAMME)
    assert result.exit_code == 1
    assert "--replace" in result.stderr
    assert snapshot(sample_copy) == before
    (report,) = ingest_json(short_clip, "--programme", SAMPLE_PROGRAMME, "--replace")
    assert report["status"] == "ingested"
    assert indexed_passages(sample_copy) == len(Archive(sample_copy).load_split(EDITION).passages)


def test_lost_stages_are_redone_and_nothing_else(sample_copy: Path) -> None:
    folder = sample_copy / "recordings" / EDITION
    transcript = (folder / "transcript.json").read_bytes()
    (folder / "talks.json").unlink()
    for clip in (folder / "clips").iterdir():
        clip.unlink()
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    assert report["status"] == "updated"
    assert (folder / "transcript.json").read_bytes() == transcript
    assert len(list((folder / "clips").iterdir())) == 3
    assert indexed_passages(sample_copy) == len(Archive(sample_copy).load_split(EDITION).passages)


def test_killed_mid_ingest_the_next_run_completes(own_archive: Path) -> None:
    command = [sys.executable, "-m", "bitesearch", "ingest", str(SAMPLE_AUDIO),
               "--programme", str(SAMPLE_PROGRAMME), "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = own_archive / "recordings" / EDITION / "edition.json"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)  # well into transcription
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (own_archive / "recordings" / EDITION / "talks.json").exists()
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    assert report["talks"] == 3
    hits = json.loads(run("query", "dashboards", "--json").stdout)
    assert hits[0]["talk"] == 2


@pytest.mark.parametrize("lost", ["tables.json", "query-model.json"], ids=["tables", "query-model"])
def test_killed_after_the_index_commit_the_next_run_writes_the_tables(
    sample_copy: Path, lost: str
) -> None:
    """A run killed between the Whoosh commit and the query path's tables leaves an index the
    next run completes (queries answer from Whoosh alone meanwhile, with the same hits)."""

    from bitesearch.search.tables import tables_for

    folder = sample_copy / "index"
    before = json.loads(run("query", "dashboards", "--json").stdout)  # type: ignore[attr-defined]
    (folder / lost).unlink()
    assert json.loads(run("query", "dashboards", "--json").stdout) == before  # type: ignore[attr-defined]
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    assert report["status"] == "up to date"
    assert (folder / lost).is_file()
    with open_folder(folder).searcher() as searcher:
        assert tables_for(searcher, folder) is not None


def test_reindex_rebuilds_the_same_index(sample_copy: Path) -> None:
    before = run("query", "data", "--json").stdout
    count = indexed_passages(sample_copy)
    for _ in range(2):
        result = run("reindex")
        assert result.exit_code == 0
    assert indexed_passages(sample_copy) == count
    assert run("query", "data", "--json").stdout == before


def test_index_is_rebuilt_when_deleted(sample_copy: Path) -> None:
    import shutil

    shutil.rmtree(sample_copy / "index")
    assert run("query", "data").exit_code == 1
    assert run("reindex").exit_code == 0
    assert json.loads(run("query", "AI", "--json").stdout)[0]["talk"] == 3


def test_one_bad_file_in_a_batch(own_archive: Path, short_clip: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_text("this is not audio")
    result = run("ingest", broken, short_clip, "--quiet")
    assert result.exit_code == 1
    assert "broken.mp3" in result.stderr
    assert len(Archive(own_archive).editions()) == 1


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda d: [d / "missing.mp3"], "no such file", id="missing-file"),
        pytest.param(lambda d: [write(d, "notes.mp3", "hello")], "not an audio", id="not-audio"),
        pytest.param(lambda d: [write(d, "empty.wav", b"")], "empty", id="empty-file"),
        pytest.param(lambda d: [d], "is not a file", id="a-folder"),
        pytest.param(
            lambda d: [SAMPLE_AUDIO, "--programme", write(d, "p.toml", "series = ")],
            "not valid TOML",
            id="programme-syntax",
        ),
        pytest.param(
            lambda d: [
                SAMPLE_AUDIO,
                "--programme",
                write(d, "p.toml", 'edition = 5\nroom = "A"\n'),
            ],
            "unknown key 'room'",
            id="programme-unknown-key",
        ),
        pytest.param(lambda d: [SAMPLE_AUDIO, "--model", "huge"], "unknown model", id="model"),
    ],
)
def test_bad_input_leaves_the_archive_as_it_was(
    sample_copy: Path, tmp_path: Path, make: object, message: str
) -> None:
    inputs = make(tmp_path)  # type: ignore[operator]
    before = snapshot(sample_copy)
    result = run("ingest", *inputs)
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert snapshot(sample_copy) == before


def test_zero_length_audio(sample_copy: Path, tmp_path: Path) -> None:
    silent = tmp_path / "zero.wav"
    cut(SAMPLE_AUDIO, 0.0, 0.0001, silent)  # a WAV header and (next to) no samples
    before = snapshot(sample_copy)
    result = run("ingest", silent)
    assert result.exit_code == 1
    assert "zero length" in result.stderr or "no audio" in result.stderr
    assert snapshot(sample_copy) == before


def test_words_only_split(sample_copy: Path) -> None:
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME, "--no-voices")
    assert report["method"] == "text-anchors" and report["status"] == "updated"
    split = Archive(sample_copy).load_split(EDITION)
    assert [t.speakers for t in split.talks][1] == ["Priya Shah", "Tom Baker"]
    assert indexed_passages(sample_copy) == len(split.passages)


def test_a_programme_longer_than_the_recording(sample_copy: Path, tmp_path: Path) -> None:
    programme = tmp_path / "programme.toml"
    extra = '\n[[talks]]\nspeakers = ["Extra Person"]\ntitle = "Not tonight"\n'
    programme.write_text(SAMPLE_PROGRAMME.read_text() + extra)
    result = run("ingest", SAMPLE_AUDIO, "--programme", programme, "--quiet")
    assert result.exit_code == 0
    assert "Warning: data-bites-056: talk 4 (Extra Person) is not in the recording" in result.stderr
    rows = json.loads(run("talks", "--json").stdout)
    assert len(rows) == 4 and rows[3]["confidence"] == 0.0 and rows[3]["clip"] == ""
    assert [r["speakers"] for r in rows[:3]] == [
        ["Sam Milsom"],
        ["Priya Shah", "Tom Baker"],
        ["Alex Rivers"],
    ]


def test_an_edition_json_from_before_sources_still_loads(sample_copy: Path) -> None:
    path = sample_copy / "recordings" / EDITION / "edition.json"
    data = json.loads(path.read_text())
    data["source"] = {k: data["source"][k] for k in ("name", "sha256", "size", "duration", "file")}
    path.write_text(json.dumps(data))
    edition = Archive(sample_copy).load_edition(EDITION)
    assert edition is not None and edition.source.item == "" and edition.source.chapters == []
    transcript = sample_copy / "recordings" / EDITION / "transcript.json"
    written = transcript.stat().st_mtime_ns
    (report,) = ingest_json(SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    assert report["status"] == "updated"
    assert transcript.stat().st_mtime_ns == written  # not transcribed again: not even rewritten
    assert report["item"].startswith("sha256:")
