"""The search files behind one object: every write to index/ goes through SearchStore, under
one lock that a second process (or thread) waits for instead of failing."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.search.store import SearchStore
from tests.conftest import run

PACKAGE = Path(__file__).resolve().parents[2] / "bitesearch"
# the calls that write the search files; only store.py may make them
WRITES = {"save_index", "export_query_model", "write_tables", "add_document", "delete_by_term"}
HOLD = (  # a process holding the file lock until its stdin closes
    "import fcntl, os, sys\n"
    "os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)\n"
    "handle = open(sys.argv[1], 'a+b')\n"
    "fcntl.flock(handle.fileno(), fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"  # until the test closes our stdin
)


def _hold(lock: Path) -> subprocess.Popen[str]:
    """Another process that holds the lock until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout and holder.stdout.readline().strip() == "held"
    return holder


def _calls(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            found.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return found


def test_only_the_store_writes_the_search_files() -> None:
    writers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if _calls(path) & WRITES and path.name != "store.py"
    }
    assert writers == set()
    assert _calls(PACKAGE / "search" / "store.py") >= WRITES - {"write_tables"}


def test_only_the_search_stage_names_the_index_folder() -> None:
    outside = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if ("index_dir" in path.read_text() or "beside_index" in path.read_text())
        and path.parent.name != "search"
        and path.name != "archive.py"
    ]
    assert outside == []


def test_a_second_writer_waits_for_the_first(
    sample_copy: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Another process holds the index lock: a write waits (saying so), then completes."""
    archive = Archive(sample_copy)
    edition = archive.editions()[0]
    split = archive.load_split(edition.id)
    assert split is not None
    holder = _hold(archive.root / ".locks" / "index")
    done = threading.Event()
    failed: list[BaseException] = []

    def write() -> None:
        try:
            SearchStore(archive).write_edition(edition, split)
        except BaseException as exc:  # reported to the test below
            failed.append(exc)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not done.wait(2.0), "the write went ahead while another process held the lock"
    assert holder.stdin
    holder.stdin.close()
    holder.wait(10)
    assert done.wait(60) and not failed, failed
    writer.join()
    assert "another bitesearch is writing this archive's index; waiting" in capfd.readouterr().err
    assert SearchStore(archive).indexed_key(edition.id) == split.key


def test_reindex_waits_for_an_ingest_and_keeps_it(sample_copy: Path) -> None:
    """`reindex` run while the lock is held waits, then rebuilds with every edition."""
    archive = Archive(sample_copy)
    holder = _hold(archive.root / ".locks" / "index")
    command = [sys.executable, "-m", "bitesearch", "--archive", str(sample_copy), "reindex"]
    reindex = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with pytest.raises(subprocess.TimeoutExpired):
        reindex.wait(3.0)  # still waiting: it has not swapped anything in
    assert holder.stdin
    holder.stdin.close()
    holder.wait(10)
    _, err = reindex.communicate(timeout=120)
    assert reindex.returncode == 0, err
    assert "waiting" in err and "Indexed" in err
    hits = run("--archive", sample_copy, "query", "dashboards", "--json")
    assert hits.exit_code == 0 and "data-bites-056" in hits.stdout  # type: ignore[attr-defined]
