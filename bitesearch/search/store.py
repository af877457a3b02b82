"""The archive's search files behind one object: the Whoosh index, its numpy tables, the
passage vectors and the query weights.

`ingest`, `reindex` and `query` talk to a `SearchStore`; nothing else writes in `index/`. Every
write happens here, in one order (the Whoosh commit, then the vectors, then the tables made
from both, then the query weights), under one lock that holds across threads and processes
(a file lock beside the index), so two writers never interleave and a query never needs one.
A run killed between two of those files leaves tables that do not match the index: queries
then ask Whoosh alone, and the next write (or `complete()`) makes them again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bitesearch import faults
from bitesearch.archive import Archive
from bitesearch.models import Edition, Split
from bitesearch.search import embed, index, tables, vectors
from bitesearch.search.tables import Tables
from bitesearch.search.vectors import Vectors

COMPLETE = ".complete"  # in a building index: every file written, ready to swap in
DERIVED = {COMPLETE, ".lock"}
WRITER_MB = 256  # memory for the reindex writer: fewer, larger segment merges


class SearchStore:
    """Reads and writes of one archive's search files."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    @property
    def folder(self) -> Path:
        return self.archive.index_dir

    # reads: no lock (a reader sees the last commit, and tables only when they match it)

    def searcher(self) -> Any:
        if not index.exists(self.folder) and self._interrupted():
            with self.writing():  # a killed reindex left the index between two renames
                pass
        return index.searcher_for(self.archive)

    def _interrupted(self) -> bool:
        building = self.archive.beside_index("building")
        return (building / COMPLETE).is_file() or index.exists(self.archive.beside_index("old"))

    def tables(self, searcher: Any) -> Tables | None:
        return tables.tables_for(searcher, self.folder)

    def indexed_key(self, edition_id: str) -> str | None:
        """The split key the index holds for an edition (None when it holds none)."""
        return index.indexed_key(self.archive, edition_id)

    # writes

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The one lock over every write to the search files, for this process's threads and
        for other processes (a second `ingest`, a `reindex`): a second writer waits. Taking it
        first completes what a killed `reindex` left between its two renames."""
        waiting = "another bitesearch is writing this archive's index"
        with self.archive.lock("index", waiting):
            self._recover()
            yield

    def write_edition(self, edition: Edition, split: Split) -> int:
        """Replace an edition's documents, vectors and table rows; returns its passage count."""
        docs = index.documents(self.archive, edition, split)
        rows = edition_vectors(self.archive, edition, split)  # before the lock: may be slow
        with self.writing():
            before = self._stamp() if index.exists(self.folder) else ""
            writer = index.open_index(self.archive, create=True).writer()
            try:
                writer.delete_by_term("edition_id", edition.id)
                for doc in docs:
                    writer.add_document(**doc)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            faults.point("commit")
            self._sync_vectors(before, edition.id, rows)
            write_tables(self.folder)
        return len(docs)

    def remove_edition(self, edition_id: str) -> None:
        """Take an edition out of the index, its vectors and the tables (when there is one)."""
        if not self.folder.exists():
            return
        with self.writing():
            if not index.exists(self.folder):
                return
            before = self._stamp()
            writer = index.open_index(self.archive).writer()
            writer.delete_by_term("edition_id", edition_id)
            writer.commit()
            self._sync_vectors(before, edition_id, None)
            write_tables(self.folder)

    def complete(self) -> bool:
        """Write the vectors, tables and query weights again where they do not belong to the
        index (a run killed between a commit and them, or an index of an older version);
        True if anything was written."""
        with self.writing():
            with index.open_index(self.archive).searcher() as searcher:
                synced = vectors.index_stamp(self.folder) == tables.stamp(searcher)
                current = tables.current(searcher, self.folder) is not None
            if synced and current and embed.query_model_ok(self.folder):
                return False
            if not synced:  # the tables are then made again too: they hash vectors.json
                self._sync_vectors("", "", None)
            write_tables(self.folder)
            return True

    def rebuild(self, on_edition: Callable[[Edition], None] | None = None) -> int:
        """Build the whole index and its vectors from recordings/ into a new folder, then swap
        it in. Vectors come from the editions' files; only new passage text is embedded. The
        old index is never read, so a damaged one is replaced like any other."""
        archive = self.archive
        with self.writing():  # listed under the lock: an ingest's edition is in, or comes after
            editions = [(e, s) for e in archive.editions() if (s := archive.load_split(e.id))]
            building = archive.beside_index("building")
            try:
                count = self._build(building, editions, on_edition)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)  # a full disk is freed again
                raise
            _swap_in(building, self.folder, archive.beside_index("old"))
        return count

    def _build(
        self,
        building: Path,
        editions: list[tuple[Edition, Split]],
        on_edition: Callable[[Edition], None] | None,
    ) -> int:
        from whoosh import index as whoosh_index

        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        created = whoosh_index.create_in(str(building), index.schema(), index.INDEX_NAME)
        writer = created.writer(limitmb=WRITER_MB)
        count = 0
        parts = []
        try:
            for edition, split in editions:
                parts.append(edition_vectors(self.archive, edition, split))
                for doc in index.documents(self.archive, edition, split):
                    writer.add_document(**doc)
                    count += 1
                if on_edition:
                    on_edition(edition)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        faults.point("reindex-commit")
        with index.open_folder(building).searcher() as searcher:
            stamp = tables.stamp(searcher)
        vectors.save_index(building, vectors.concat(parts), stamp)
        if embed.query_model_ok(self.folder):  # the same weights: not exported again
            for name in (embed.QUERY_WEIGHTS, embed.QUERY_META):
                shutil.copy2(self.folder / name, building / name)
        write_tables(building)
        (building / COMPLETE).touch()  # the swap may now go ahead, or be finished by _recover
        faults.point("reindex-built")
        return count

    def _stamp(self) -> str:
        with index.open_index(self.archive).searcher() as searcher:
            return tables.stamp(searcher)

    def _sync_vectors(self, before: str, edition_id: str, fresh: Vectors | None) -> None:
        """Make the vectors hold exactly the index's passages, after a commit that replaced
        `edition_id` with `fresh`. When the vectors matched the index as it was before the
        commit (`before`), that is their rows less the edition's, plus fresh; otherwise (a
        run killed after a commit, damaged or missing vectors) every passage the vectors
        lack is embedded again from its stored text, through its edition's cache."""
        current = vectors.load_index(self.folder)
        in_step = (
            current is not None and bool(before) and vectors.index_stamp(self.folder) == before
        )
        with index.open_index(self.archive).searcher() as searcher:
            stamp = tables.stamp(searcher)
            if in_step and current is not None:  # the common case: no passage text is read
                kept = current.without_edition(edition_id)
                merged = vectors.concat([kept, fresh]) if fresh else kept
            else:
                merged = self._repaired(searcher, current, fresh)
        vectors.save_index(self.folder, merged, stamp)

    def _repaired(self, searcher: Any, current: Vectors | None, fresh: Vectors | None) -> Vectors:
        import numpy as np

        live = index.live_passages(searcher)
        known: dict[str, tuple[str, Any]] = {}
        for part in (current, fresh):
            for n, pid in enumerate(part.ids if part else []):
                if pid in live and part is not None:
                    known[pid] = (part.kinds[n], part.matrix[n])
        lacking: dict[str, list[str]] = {}
        for pid in live:
            if pid not in known:
                lacking.setdefault(pid.rpartition("/")[0], []).append(pid)
        for edition_id in lacking:  # the whole edition's texts: its cache file keeps them all
            mine = sorted((p for p in live if p.rpartition("/")[0] == edition_id), key=_number)
            fields = [searcher.stored_fields(live[p]) for p in mine]
            rows = vectors.edition_vectors(self.archive, edition_id, [f["text"] for f in fields])
            for pid, f, row in zip(mine, fields, rows, strict=True):
                known[pid] = (str(f["kind"])[0], row)
        ids = sorted(known, key=lambda p: live[p])
        if not ids:
            return vectors.empty()
        matrix = np.array([known[p][1] for p in ids], dtype=np.float32)
        return Vectors(ids, "".join(known[p][0] for p in ids), matrix)

    def _recover(self) -> None:
        """Finish or undo what a killed `reindex` left (called with the lock held, so any
        building folder is a dead run's): a complete new index whose swap did not finish goes
        in; without one, the old index comes back; leftovers go."""
        building = self.archive.beside_index("building")
        old = self.archive.beside_index("old")
        if not index.exists(self.folder):
            if (building / COMPLETE).is_file():
                _swap_in(building, self.folder, old)
            elif index.exists(old):
                if self.folder.exists():
                    _carry_over(self.folder, old)
                    shutil.rmtree(self.folder)
                old.rename(self.folder)
        shutil.rmtree(building, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def edition_vectors(archive: Archive, edition: Edition, split: Split) -> Vectors:
    """The edition's passage vectors (embedded only where the text is new), in index order."""
    matrix = vectors.edition_vectors(archive, edition.id, [p.text for p in split.passages])
    ids = [f"{edition.id}/{n}" for n in range(len(split.passages))]
    return Vectors(ids, "".join(p.kind[0] for p in split.passages), matrix)


def write_tables(folder: Path) -> None:
    """The query path's files for the index in folder: its numpy tables, as the index now is
    (tables.py), and the query weights, when the folder does not hold them yet (embed.py)."""
    _build_tables(folder)
    faults.point("tables")
    embed.export_query_model(folder)


def _build_tables(folder: Path) -> None:
    with index.open_folder(folder).searcher() as searcher:
        tables.build(searcher, folder)


def _swap_in(building: Path, target: Path, old: Path) -> None:
    """Replace the index folder in two renames, carrying over files that are not Whoosh's. A
    kill between the renames is finished by the next writer (SearchStore._recover)."""
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        _carry_over(target, building)
        target.rename(old)
        faults.point("reindex-old")
    building.rename(target)
    (target / COMPLETE).unlink(missing_ok=True)
    faults.point("reindex-swapped")
    shutil.rmtree(old, ignore_errors=True)


def _carry_over(source: Path, target: Path) -> None:
    """Files of the index folder that are no part of the index (its README) go along."""
    for extra in source.iterdir():
        ours = extra.name.lstrip("_").startswith(index.INDEX_NAME) or extra.name in DERIVED
        derived = extra.name.startswith(("vectors", "tables.", "query-model."))
        if not (ours or derived or (target / extra.name).exists()) and extra.is_file():
            shutil.copy2(extra, target / extra.name)


def _number(pid: str) -> int:
    return int(pid.rpartition("/")[2])
