"""A planted, foreign or damaged index is refused with one line telling the user to reindex,
never read into running code; `reindex` rebuilds every damaged derived file."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bitesearch.search.index import INDEX_NAME, open_folder, schema
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run(*args: str | Path) -> Result:
    """The real CLI in a process of its own, as a user starts it on an archive it finds (an
    in-process run keeps the index's files mapped, which a test's damage would then hit)."""
    command = [sys.executable, "-m", "bitesearch", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return Result(done.returncode, done.stdout, done.stderr)


class Planted:
    """What an attacker pickles: unpickling it runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _plant_toc(folder: Path, marker: Path, where: str) -> None:
    """Rewrite the index's latest TOC with a payload in its segment list or its schema."""
    from whoosh.fields import Schema
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    ix = open_folder(folder)
    generation = ix.latest_generation()
    segments = ix._segments()
    if where == "segments":
        toc = TOC(schema(), [*segments, Planted(marker)], generation)
    else:

        class PlantedSchema(Schema):
            def __reduce__(self) -> tuple[object, tuple[str]]:
                return (os.system, (f"touch {marker}",))

        planted = PlantedSchema()
        for name, field in schema().items():
            planted.add(name, field)
        toc = TOC(planted, segments, generation)
    (folder / f"_{INDEX_NAME}_{generation}.toc").unlink()
    toc.write(FileStorage(str(folder)), INDEX_NAME)


def _one_line_error(result: Result) -> str:
    err = result.stderr.strip()
    assert result.exit_code == 1, err
    assert len(err.splitlines()) == 1, err
    assert "bitesearch reindex" in err
    return str(err)


@pytest.mark.parametrize("where", ["segments", "schema"])
def test_a_planted_toc_runs_nothing(sample_copy: Path, tmp_path: Path, where: str) -> None:
    marker = tmp_path / "ran"
    _plant_toc(sample_copy / "index", marker, where)
    if where == "segments":
        err = _one_line_error(run("--archive", sample_copy, "query", "open data"))
        assert "not one bitesearch wrote" in err
        again = run("--archive", sample_copy, "ingest", SAMPLE_AUDIO, "-p", SAMPLE_PROGRAMME)
        _one_line_error(again)
    else:  # the schema is never unpickled: bitesearch opens its index with its own
        assert run("--archive", sample_copy, "query", "open data").exit_code == 0
    assert not marker.exists(), "the planted pickle ran"
    assert run("--archive", sample_copy, "reindex").exit_code == 0  # never reads the old one
    assert run("--archive", sample_copy, "query", "open data").exit_code == 0
    assert not marker.exists()


def test_a_planted_stored_field_runs_nothing(sample_copy: Path, tmp_path: Path) -> None:
    """A document whose stored field is a payload: the query that reaches it is refused."""
    marker = tmp_path / "ran"
    writer = open_folder(sample_copy / "index").writer()
    writer.add_document(
        passage_id="x/0", edition_id="x", talk_id="x/0", text="zeppelin zeppelin", kind="talk",
        source=Planted(marker), start=0.0, end=1.0, talk=0,
    )  # fmt: skip
    writer.commit()
    result = run("--archive", sample_copy, "query", "zeppelin", "--exact")
    _one_line_error(result)
    assert not marker.exists(), "the planted pickle ran"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scramble(path: Path) -> None:
    path.write_bytes(random.Random(5).randbytes(path.stat().st_size))


def _latest_toc(folder: Path) -> Path:
    return sorted(folder.glob(f"_{INDEX_NAME}_*.toc"))[-1]


def _segment_file(folder: Path) -> Path:
    return max(folder.glob(f"{INDEX_NAME}_*.seg"), key=lambda p: p.stat().st_size)


@pytest.mark.parametrize(
    ("damage", "file"),
    [
        pytest.param(_truncate, _latest_toc, id="truncated-toc"),
        pytest.param(_scramble, _latest_toc, id="random-toc"),
        pytest.param(_truncate, _segment_file, id="truncated-segment"),
        pytest.param(_scramble, _segment_file, id="random-segment"),
    ],
)
def test_a_damaged_index_is_one_line_and_reindex_repairs_it(
    sample_copy: Path, damage: object, file: object
) -> None:
    folder = sample_copy / "index"
    before = run("--archive", sample_copy, "query", "dashboards", "--json").stdout
    damage(file(folder))  # type: ignore[operator]
    err = _one_line_error(run("--archive", sample_copy, "query", "dashboards"))
    assert str(folder) in err
    assert run("--archive", sample_copy, "reindex").exit_code == 0
    after = run("--archive", sample_copy, "query", "dashboards", "--json")
    assert after.exit_code == 0
    assert json.loads(after.stdout) == json.loads(before)


@pytest.mark.parametrize(
    "name", ["vectors.json", "tables.json", "query-model.json", "query-model.npy", "vectors-*.npy"]
)
def test_damaged_derived_files_fall_back_and_reindex_makes_them_again(
    sample_copy: Path, name: str
) -> None:
    folder = sample_copy / "index"
    before = run("--archive", sample_copy, "query", "open data", "--json").stdout
    for path in folder.glob(name):
        _truncate(path)
    assert run("--archive", sample_copy, "query", "open data").exit_code == 0  # still answers
    assert run("--archive", sample_copy, "reindex").exit_code == 0
    after = run("--archive", sample_copy, "query", "open data", "--json").stdout
    assert json.loads(after) == json.loads(before)


def test_a_truncated_embeddings_cache_is_embedded_again(sample_copy: Path) -> None:
    before = run("--archive", sample_copy, "query", "open data", "--json").stdout
    for path in (sample_copy / "recordings").glob("*/embeddings.npy"):
        _truncate(path)
    result = run("--archive", sample_copy, "reindex")
    assert result.exit_code == 0, result.stderr
    after = run("--archive", sample_copy, "query", "open data", "--json").stdout
    assert json.loads(after) == json.loads(before)


def test_a_huge_word_in_a_transcript_grows_no_term(own_archive: Path, tmp_path: Path) -> None:
    """A transcript holding one 1 MB "word" (a broken or hostile caption file): indexed without
    it, so the tables' fixed-width keys stay small and the other words are found."""
    import numpy as np

    vtt = tmp_path / "talk.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nOpen data portals for councils.\n\n"
        f"00:00:05.000 --> 00:00:09.000\n{'z' * 1_000_000} and dashboards.\n"
    )
    assert run("--archive", own_archive, "ingest", vtt).exit_code == 0
    keys = np.load(own_archive / "index" / "tables.keys.npy", mmap_mode="r")
    assert keys.dtype.itemsize <= len("speaker\x1f") + 64
    hits = run("--archive", own_archive, "query", "dashboards", "--exact", "--json")
    assert hits.exit_code == 0 and json.loads(hits.stdout)
