"""Paths read from archive files never lead out of the archive: a planted `clip` or source
file, by `..`, an absolute path or a symlink, is refused before anything is read or written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bitesearch.archive import inside
from bitesearch.errors import BitesearchError
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, run

EDITION = Path("recordings") / "data-bites-056"


def _edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def _refused(result: object) -> str:
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert result.exit_code == 1, err  # type: ignore[attr-defined]
    assert len(err.splitlines()) == 1, err
    return str(err)


@pytest.mark.parametrize(
    "clip",
    [
        pytest.param("../../../../escaped.mp3", id="dot-dot"),
        pytest.param("/tmp/escaped-absolute.mp3", id="absolute"),
        pytest.param("clips/../../../escaped.mp3", id="inner-dot-dot"),
    ],
)
def test_a_planted_clip_path_is_refused(sample_copy: Path, clip: str) -> None:
    talks = sample_copy / EDITION / "talks.json"
    _edit(talks, lambda d: d["talks"][0].update(clip=clip))
    for path in (sample_copy / EDITION / "clips").iterdir():
        path.unlink()  # so that ingest would cut them again
    result = run("--archive", sample_copy, "ingest", SAMPLE_AUDIO, "-p", SAMPLE_PROGRAMME)
    assert "is not a plain path inside" in _refused(result)
    assert not (sample_copy / EDITION / clip).resolve().exists()
    assert "talks.json" in _refused(run("--archive", sample_copy, "talks"))


def test_a_clip_folder_that_is_a_symlink_out_is_refused(sample_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    clips = sample_copy / EDITION / "clips"
    for path in clips.iterdir():
        path.unlink()
    clips.rmdir()
    clips.symlink_to(outside)
    result = run("--archive", sample_copy, "ingest", SAMPLE_AUDIO, "-p", SAMPLE_PROGRAMME)
    assert "through a symlink" in _refused(result)
    assert list(outside.iterdir()) == []  # nothing was written where the link points


def test_a_planted_source_file_is_refused(sample_copy: Path) -> None:
    edition = sample_copy / EDITION / "edition.json"
    _edit(edition, lambda d: d["source"].update(file="../../../../etc/passwd"))
    assert "source file" in _refused(run("--archive", sample_copy, "show", "data-bites-056/1"))
    assert "source file" in _refused(run("--archive", sample_copy, "reindex"))


def test_an_archive_file_of_the_wrong_shape_is_one_line(sample_copy: Path) -> None:
    talks = sample_copy / EDITION / "talks.json"
    _edit(talks, lambda d: d.update(talks="not a list"))
    assert "is not a bitesearch file it can read" in _refused(
        run("--archive", sample_copy, "talks")
    )


@pytest.mark.parametrize(
    "relative", ["a/../../b", "/etc/passwd", "a\\..\\b", "x\0y", "", "a" * 300]
)
def test_inside_refuses(tmp_path: Path, relative: str) -> None:
    with pytest.raises(BitesearchError):
        inside(tmp_path, relative, "a path")


def test_inside_accepts_plain_paths(tmp_path: Path) -> None:
    assert inside(tmp_path, "clips/01-sam.mp3", "a clip") == tmp_path / "clips" / "01-sam.mp3"
