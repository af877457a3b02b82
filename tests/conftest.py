"""Shared fixtures: every test gets its own archive; the sample edition is ingested once.

Nothing here is faked: the sample's real speech goes through the bundled Whisper model into a
real Whoosh index, driven through the real CLI.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bitesearch.audio import ffmpeg_exe
from bitesearch.cli import app
from tests import httpserver
from tests.httpserver import Server

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recordings" / "sample"
SAMPLE_AUDIO = SAMPLE / "edition.mp3"
SAMPLE_PROGRAMME = SAMPLE / "programme.toml"


@pytest.fixture(autouse=True)
def own_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every test at an empty archive of its own (never the repository's)."""
    archive = tmp_path / "archive"
    monkeypatch.setenv("BITESEARCH_ARCHIVE", str(archive))
    monkeypatch.setenv("COLUMNS", "160")
    return archive


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection a test makes goes to this machine: anything else fails loudly."""
    connect = socket.socket.connect

    def local_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            raise AssertionError(f"a test tried to reach {address!r}: tests stay on 127.0.0.1")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def private_network_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test servers listen on 127.0.0.1, which bitesearch refuses to fetch from by default:
    allowed here; the tests of that refusal delete the variable (tests/sources/test_network.py)."""
    monkeypatch.setenv("BITESEARCH_ALLOW_PRIVATE_NETWORK", "1")


def run(*args: str | Path) -> object:
    """Run the CLI in process; returns click's Result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive holding the ingested sample edition (ingested once per test session)."""
    archive = tmp_path_factory.mktemp("sample") / "archive"
    result = run(
        "--archive", archive, "ingest", SAMPLE_AUDIO, "--programme", SAMPLE_PROGRAMME, "--json"
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return archive


@pytest.fixture
def sample_copy(sample_archive: Path, own_archive: Path) -> Path:
    """A copy of the sample archive that a test may change (it is the test's own archive)."""
    shutil.copytree(sample_archive, own_archive)
    return own_archive


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text())


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's first 22 seconds (the host's opening) as WAV: quick to transcribe."""
    target = tmp_path_factory.mktemp("clip") / "opening.wav"
    cut(SAMPLE_AUDIO, 0.0, 22.0, target)
    return target


def cut(source: Path, start: float, end: float, target: Path) -> None:
    span = ["-ss", str(start), "-t", str(end - start)]
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *span, "-i", str(source)]
    subprocess.run([*command, "-ac", "1", "-ar", "16000", str(target)], check=True)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder with a hash of its content: to prove nothing changed."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 (see tests/httpserver.py); no proxy is ever used."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    state, httpd = httpserver.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def mp3_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four short MP3s of real speech cut from the sample (one per test feed edition)."""
    folder = tmp_path_factory.mktemp("mp3")
    spans = [(0.0, 12.0), (70.0, 82.0), (150.0, 162.0), (200.0, 212.0)]
    clips = []
    for n, (start, end) in enumerate(spans, start=1):
        target = folder / f"edition-{n}.mp3"
        cut(SAMPLE_AUDIO, start, end, target)
        clips.append(target)
    return clips
