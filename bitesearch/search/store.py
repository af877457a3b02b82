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
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from bitesearch.archive import Archive
from bitesearch.models import Edition, Split
from bitesearch.search import embed, index, tables, vectors
from bitesearch.search.tables import Tables
from bitesearch.search.vectors import Vectors

WRITER_MB = 256  # memory for the reindex writer: fewer, larger segment merges
_THREADS = threading.Lock()  # flock is per open file: threads of one process queue here first


class SearchStore:
    """Reads and writes of one archive's search files."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    @property
    def folder(self) -> Path:
        return self.archive.index_dir

    # reads: no lock (a reader sees the last commit, and tables only when they match it)

    def searcher(self) -> Any:
        return index.searcher_for(self.archive)

    def tables(self, searcher: Any) -> Tables | None:
        return tables.tables_for(searcher, self.folder)

    def indexed_key(self, edition_id: str) -> str | None:
        """The split key the index holds for an edition (None when it holds none)."""
        return index.indexed_key(self.archive, edition_id)

    # writes

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The one lock over every write to the search files, for this process's threads and
        for other processes (a second `ingest`, a `reindex`): a second writer waits."""
        lock = self.archive.beside_index("lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with _THREADS, open(lock, "a+b") as handle:
            _lock_file(handle)
            yield

    def write_edition(self, edition: Edition, split: Split) -> int:
        """Replace an edition's documents, vectors and table rows; returns its passage count."""
        docs = index.documents(self.archive, edition, split)
        rows = edition_vectors(self.archive, edition, split)  # before the lock: may be slow
        with self.writing():
            writer = index.open_index(self.archive, create=True).writer()
            try:
                writer.delete_by_term("edition_id", edition.id)
                for doc in docs:
                    writer.add_document(**doc)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            self._replace_vectors(edition.id, rows)
            write_tables(self.folder)
        return len(docs)

    def remove_edition(self, edition_id: str) -> None:
        """Take an edition out of the index, its vectors and the tables (when there is one)."""
        if not self.folder.exists():
            return
        with self.writing():
            writer = index.open_index(self.archive, create=True).writer()
            writer.delete_by_term("edition_id", edition_id)
            writer.commit()
            self._replace_vectors(edition_id, None)
            write_tables(self.folder)

    def complete(self) -> bool:
        """Write the tables and query weights again when they do not belong to the index (a
        run killed between a commit and the tables, or an index of an older version); True if
        they were written."""
        with self.writing(), index.open_index(self.archive).searcher() as searcher:
            current = tables.current(searcher, self.folder) is not None
            if current and (self.folder / embed.QUERY_META).is_file():
                return False
            write_tables(self.folder)
            return True

    def rebuild(self, on_edition: Callable[[Edition], None] | None = None) -> int:
        """Build the whole index and its vectors from recordings/ into a new folder, then swap
        it in. Vectors come from the editions' files; only new passage text is embedded."""
        from whoosh import index as whoosh_index

        archive = self.archive
        with self.writing():  # listed under the lock: an ingest's edition is in, or comes after
            editions = [(e, s) for e in archive.editions() if (s := archive.load_split(e.id))]
            building = archive.beside_index("building")
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir(parents=True)
            created = whoosh_index.create_in(str(building), index.schema(), index.INDEX_NAME)
            writer = created.writer(limitmb=WRITER_MB)
            count = 0
            parts = []
            for edition, split in editions:
                parts.append(edition_vectors(archive, edition, split))
                for doc in index.documents(archive, edition, split):
                    writer.add_document(**doc)
                    count += 1
                if on_edition:
                    on_edition(edition)
            writer.commit()
            vectors.save_index(building, vectors.concat(parts))
            _build_tables(building)
            _swap_in(building, self.folder, archive.beside_index("old"))  # keeps query weights
            embed.export_query_model(self.folder)  # (written only if there were none)
        return count

    def _replace_vectors(self, edition_id: str, new: Vectors | None) -> None:
        current = vectors.load_index(self.folder) or vectors.empty()
        kept = current.without_edition(edition_id)
        vectors.save_index(self.folder, vectors.concat([kept, new]) if new else kept)


def _lock_file(handle: IO[bytes]) -> None:
    """An exclusive lock on the open file; a writer that has to wait says so, once."""
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.stderr.write(
            "bitesearch: another bitesearch is writing this archive's index; waiting\n"
        )
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def edition_vectors(archive: Archive, edition: Edition, split: Split) -> Vectors:
    """The edition's passage vectors (embedded only where the text is new), in index order."""
    matrix = vectors.edition_vectors(archive, edition.id, [p.text for p in split.passages])
    ids = [f"{edition.id}/{n}" for n in range(len(split.passages))]
    return Vectors(ids, "".join(p.kind[0] for p in split.passages), matrix)


def write_tables(folder: Path) -> None:
    """The query path's files for the index in folder: its numpy tables, as the index now is
    (tables.py), and the query weights, when the folder does not hold them yet (embed.py)."""
    _build_tables(folder)
    embed.export_query_model(folder)


def _build_tables(folder: Path) -> None:
    from whoosh import index as whoosh_index

    opened = whoosh_index.open_dir(str(folder), indexname=index.INDEX_NAME)
    with opened.searcher() as searcher:
        tables.build(searcher, folder)


def _swap_in(building: Path, target: Path, old: Path) -> None:
    """Replace the index folder in two renames, carrying over files that are not Whoosh's."""
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        for extra in target.iterdir():
            ours = extra.name.lstrip("_").startswith(index.INDEX_NAME)
            if not (ours or (building / extra.name).exists()) and extra.is_file():
                shutil.copy2(extra, building / extra.name)
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
