"""Unlucky users: the same recording ingested twice at once, a full disk, Ctrl-C, a feed that
re-publishes an episode under a new id, a silent or truncated recording."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.audio import ffmpeg_exe
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, run, snapshot
from tests.httpserver import Route, Server
from tests.sitedata import Episode, feed_xml


def bitesearch(archive: Path, *args: str | Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "bitesearch", "--archive", str(archive), *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_same_recording_twice_at_once(own_archive: Path, short_clip: Path) -> None:
    """Two processes ingest one recording into one archive together: the second waits for
    the first (never deleting its temp files), then finds the edition done."""
    first = bitesearch(own_archive, "ingest", short_clip, "--json")
    second = bitesearch(own_archive, "ingest", short_clip, "--json")
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [r[1] for r in results]
    statuses = sorted(json.loads(out)[0]["status"] for out, _ in results)
    assert statuses == ["ingested", "up to date"]
    assert any("is being ingested; waiting" in err for _, err in results)
    assert len(Archive(own_archive).editions()) == 1
    assert not [p for p in own_archive.rglob("*.tmp")]
    hits = run("--archive", own_archive, "query", "data", "--json")
    assert hits.exit_code == 0  # type: ignore[attr-defined]


@dataclass
class Republished(Episode):
    """An episode published again under a new guid, with the same title and audio."""

    again: str = ""

    @property
    def guid(self) -> str:
        return self.again or super().guid


def test_identical_audio_under_two_ids_is_kept_once_and_the_run_converges(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    episodes = [
        Republished(5, "2026-01-14", "/audio/ep5.mp3"),
        Republished(5, "2026-02-11", "/audio/ep5-again.mp3", again="databites-5-republished"),
    ]
    audio = mp3_clips[0].read_bytes()
    http_server.routes["/audio/ep5.mp3"] = Route(audio, "audio/mpeg")
    http_server.routes["/audio/ep5-again.mp3"] = Route(audio, "audio/mpeg")
    http_server.routes["/feed.xml"] = Route(feed_xml(http_server, episodes), "application/rss+xml")
    feed = http_server.url("/feed.xml")

    first = run("ingest", feed, "--json")
    assert first.exit_code == 0, first.stderr  # type: ignore[attr-defined]
    statuses = {r["item"]: r["status"] for r in json.loads(first.stdout)}  # type: ignore[attr-defined]
    assert statuses == {"feed:databites-5-republished": "ingested", "feed:databites-5": "duplicate"}
    assert "the same audio as data-bites-005" in first.stderr  # type: ignore[attr-defined]
    editions = Archive(own_archive).editions()
    assert [e.id for e in editions] == ["data-bites-005"]
    assert editions[0].source.aliases == ["feed:databites-5"]
    assert not list((own_archive / "downloads").glob("*"))  # the duplicate is not kept twice

    before = snapshot(own_archive / "recordings")
    http_server.log.clear()
    for _ in range(2):  # converged: nothing downloaded, nothing changed, run after run
        again = run("ingest", feed, "--json")
        statuses = {r["item"]: r["status"] for r in json.loads(again.stdout)}  # type: ignore[attr-defined]
        assert statuses == {
            "feed:databites-5-republished": "up to date",
            "feed:databites-5": "duplicate",
        }
        assert [r.path for r in http_server.log if r.path.startswith("/audio/")] == []
        assert snapshot(own_archive / "recordings") == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 128 MB (tmpfs), so that writes really fail with ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Take all the disk's free space but `leave` bytes."""
    free = shutil.disk_usage(disk).free
    with (disk / "filler").open("wb") as out:
        out.truncate(0)
        block = b"\0" * (1 << 20)
        left = free - leave
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)


def test_a_full_disk_is_one_line_and_the_archive_is_as_it_was(
    sample_archive: Path, small_disk: Path, short_clip: Path
) -> None:
    archive = small_disk / "archive"
    shutil.copytree(sample_archive, archive)
    _fill(small_disk, 400_000)
    before = {k: v for k, v in snapshot(archive).items() if not k.startswith(".locks")}

    result = run("--archive", archive, "reindex")  # needs room for a whole new index
    assert result.exit_code == 1  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert len(err.splitlines()) == 1 and "no space left on device" in err, err
    assert "free space and run the same command again" in err
    assert not (archive / ".index.building").exists()
    assert {k: v for k, v in snapshot(archive).items() if not k.startswith(".locks")} == before

    result = run("--archive", archive, "ingest", short_clip)  # 700 KB: its copy does not fit
    assert result.exit_code == 1  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert len(err.splitlines()) == 1 and "no space left on device" in err, err
    assert not list(archive.rglob("*.tmp"))
    assert run("--archive", archive, "query", "open data").exit_code == 0  # type: ignore[attr-defined]

    (small_disk / "filler").unlink()  # space freed: the same commands complete
    assert run("--archive", archive, "ingest", short_clip).exit_code == 0  # type: ignore[attr-defined]
    assert run("--archive", archive, "reindex").exit_code == 0  # type: ignore[attr-defined]
    assert len(Archive(archive).editions()) == 2


def test_ctrl_c_during_ingest_exits_and_the_next_run_completes(own_archive: Path) -> None:
    process = bitesearch(own_archive, "ingest", SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME)
    copied = own_archive / "recordings" / "data-bites-056" / "source.mp3"
    for _ in range(600):  # transcription starts once the recording is copied in
        if copied.exists() or process.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Interrupted: run the same command again to finish."
    again = run("--archive", own_archive, "ingest", SAMPLE_AUDIO, "-p", SAMPLE_PROGRAMME, "--json")
    assert again.exit_code == 0  # type: ignore[attr-defined]
    assert json.loads(again.stdout)[0]["talks"] == 3  # type: ignore[attr-defined]


def _silence(target: Path, seconds: float) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "anullsrc=r=16000:cl=mono", "-t", str(seconds), str(target)],
        check=True,
    )  # fmt: skip


def test_a_silent_recording_is_ingested_with_a_warning(own_archive: Path, tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    _silence(silent, 8.0)
    result = run("ingest", silent)
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert "no speech was heard in this recording" in result.stderr  # type: ignore[attr-defined]


def test_a_truncated_mp3_is_ingested_with_a_warning(own_archive: Path, tmp_path: Path) -> None:
    """Cut short, the sample's MP3 keeps its header's duration (4:07): the decoded audio says
    otherwise, and the user is told."""
    truncated = tmp_path / "truncated.mp3"
    truncated.write_bytes(SAMPLE_AUDIO.read_bytes()[:900_000])
    result = run("ingest", truncated, "--no-voices")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert "the file looks truncated" in result.stderr  # type: ignore[attr-defined]
    assert "of the 00:04:07 its header says" in result.stderr  # type: ignore[attr-defined]
    assert os.path.getsize(truncated) == 900_000
