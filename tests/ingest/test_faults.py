"""The fault harness: an ingest or reindex killed with SIGKILL at every named point of the write
path (bitesearch/faults.py), then run again, leaves the archive one built without the kill
would be: the same passages, vectors, tables and rankings, and no leftovers.

The kills are real (the process kills itself at the point, as `kill -9` would); the runs are
the real CLI in a subprocess, on the bundled sample through the real model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bitesearch.faults import KILL_AT
from bitesearch.search import tables, vectors
from bitesearch.search.index import open_folder
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME

INGEST_POINTS = ["edition", "source", "transcript", "split", "clip", "commit", "vectors-matrix",
                 "tables"]  # fmt: skip
REINDEX_POINTS = ["vectors-matrix", "reindex-commit", "reindex-built", "reindex-old",
                  "reindex-swapped"]  # fmt: skip
QUERIES = ["open data", "dashboards", "AI", "hospital waiting list"]


def bitesearch(archive: Path, *args: str, kill_at: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != KILL_AT}
    if kill_at:
        env[KILL_AT] = kill_at
    command = [sys.executable, "-m", "bitesearch", "--archive", str(archive), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def ingest(archive: Path, kill_at: str = "") -> subprocess.CompletedProcess[str]:
    return bitesearch(
        archive, "ingest", str(SAMPLE_AUDIO), "--programme", str(SAMPLE_PROGRAMME), "--quiet",
        kill_at=kill_at,
    )  # fmt: skip


def state(archive: Path) -> dict[str, Any]:
    """What a user's results depend on, independent of Whoosh's document numbers."""
    folder = archive / "index"
    with open_folder(folder).searcher() as searcher:
        stored = {d: searcher.stored_fields(d) for d in range(searcher.doc_count_all())}
        live = {d: f for d, f in stored.items() if not searcher.reader().is_deleted(d)}
        passages = sorted(
            (f["passage_id"], f["text"], f["start"], f["end"], f["spoken_by"], f["kind"])
            for f in live.values()
        )
        found = tables.tables_for(searcher, folder)
        assert found is not None, "the tables do not belong to the index"
        postings = {}
        for n, key in enumerate(found.keys):
            begin, end = int(found.starts[n]), int(found.starts[n + 1])
            docs, scores = found.docs[begin:end], found.scores[begin:end]
            postings[bytes(key)] = sorted(
                (live[int(d)]["passage_id"], round(float(s), 4))
                for d, s in zip(docs, scores, strict=True)
                if int(d) in live
            )
        rows = {
            live[d]["passage_id"]: int(found.rows[d]) for d in live
        }  # every live document has its vector row
    index_vectors = vectors.load_index(folder)
    assert index_vectors is not None, "the vectors are unreadable"
    assert sorted(index_vectors.ids) == sorted(p[0] for p in passages)
    by_id = dict(zip(index_vectors.ids, np.asarray(index_vectors.matrix), strict=True))
    assert all(index_vectors.ids[row] == pid for pid, row in rows.items())
    rankings = []
    for query in QUERIES:
        result = bitesearch(archive, "query", query, "--json")
        assert result.returncode == 0, result.stderr
        hits = json.loads(result.stdout)
        rankings.append([(h["talk_id"], round(h["score"], 4)) for h in hits])
    edition = archive / "recordings" / "data-bites-056"
    return {
        "passages": passages,
        "postings": {k: v for k, v in postings.items() if v},
        "vectors": by_id,
        "rankings": rankings,
        "talks": json.loads((edition / "talks.json").read_text()),
        "transcript": json.loads((edition / "transcript.json").read_text())["segments"],
        "clips": sorted(p.name for p in (edition / "clips").iterdir()),
        "leftovers": sorted(
            str(p.relative_to(archive))
            for p in archive.rglob("*")
            if p.name.endswith(".tmp") or p.name in (".index.building", ".index.old", ".complete")
        ),
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for key in ("passages", "postings", "rankings", "talks", "transcript", "clips"):
        assert got[key] == want[key], key
    assert got["leftovers"] == []
    assert got["vectors"].keys() == want["vectors"].keys()
    for pid, row in want["vectors"].items():
        assert np.allclose(got["vectors"][pid], row, atol=1e-5), pid


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    archive = tmp_path_factory.mktemp("reference") / "archive"
    result = ingest(archive)
    assert result.returncode == 0, result.stderr
    return archive, state(archive)


@pytest.mark.parametrize("point", INGEST_POINTS)
def test_an_ingest_killed_at_any_point_is_completed_by_the_next(
    point: str, reference: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    killed = ingest(archive, kill_at=point)
    assert killed.returncode == -9, f"never reached {point}: {killed.stderr}"
    again = ingest(archive)
    assert again.returncode == 0, again.stderr
    assert_same(state(archive), reference[1])


@pytest.mark.parametrize("point", REINDEX_POINTS)
def test_a_reindex_killed_at_any_point_is_completed_by_the_next_run(
    point: str, reference: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(reference[0], archive)
    killed = bitesearch(archive, "reindex", kill_at=point)
    assert killed.returncode == -9, f"never reached {point}: {killed.stderr}"
    # a query first: it must find the index even when the kill left it between two renames
    assert bitesearch(archive, "query", "open data").returncode == 0
    again = ingest(archive)
    assert again.returncode == 0, again.stderr
    assert_same(state(archive), reference[1])


def test_a_reindex_killed_then_reindexed(
    reference: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(reference[0], archive)
    assert bitesearch(archive, "reindex", kill_at="reindex-old").returncode == -9
    assert not (archive / "index").exists()  # moved aside; the new one not yet in place
    result = bitesearch(archive, "reindex")
    assert result.returncode == 0, result.stderr
    assert_same(state(archive), reference[1])
