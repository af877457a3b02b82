"""The Whoosh index of passages: one document a passage, rebuilt at will from recordings/.

Each edition's documents are replaced in one writer commit (delete by edition, add), so
re-ingesting never duplicates a talk and a crash leaves the last committed state.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError
from bitesearch.models import Edition, Split, Talk
from bitesearch.vectors import Vectors

if TYPE_CHECKING:
    from whoosh.index import Index

INDEX_NAME = "passages"
HOST_BOOST = 0.5  # host passages (intros, news) rank below the talks they introduce
# Whoosh's English stop list minus nothing we need: two-letter topics ("AI", "BI") are kept
# because the stemming analyser's minimum token length is 2.
MIN_TOKEN = 2
HOST_TITLE = "Host: opening, news and closing"
WRITER_MB = 256  # memory for the reindex writer: fewer, larger segment merges


def schema() -> Any:
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

    stem = StemmingAnalyzer(minsize=MIN_TOKEN)
    return Schema(
        passage_id=ID(stored=True, unique=True),
        edition_id=ID(stored=True),
        edition=NUMERIC(int, stored=True),
        edition_label=STORED,
        series=ID(stored=True),
        date=ID(stored=True),
        talk=NUMERIC(int, stored=True),
        talk_id=ID(stored=True),
        speakers=KEYWORD(stored=True, commas=True, lowercase=True),
        talk_speakers=STORED,  # the talk's speakers, also on the host's passages in its slot
        speaker=TEXT(analyzer=stem),  # the talk's speakers' names, searchable as words
        spoken_by=TEXT(stored=True, analyzer=stem),  # who spoke this passage
        title=TEXT(stored=True, analyzer=stem, field_boost=1.5),
        kind=ID(stored=True),
        start=NUMERIC(float, stored=True),
        end=NUMERIC(float, stored=True),
        text=TEXT(stored=True, analyzer=stem),
        source=STORED,
        split_key=ID(stored=True),
    )


_SEARCHERS: dict[str, tuple[tuple[int, int], Any]] = {}


def searcher_for(archive: Archive) -> Any:
    """A searcher over the archive's index, kept open for the process: a query after the first
    skips opening the index files (a long-lived process queries many times). A new commit (a
    new TOC generation) or a swapped-in index gets a fresh searcher."""
    folder = archive.index_dir
    ix = open_index(archive)
    generation = ix.latest_generation()
    toc = folder / f"_{INDEX_NAME}_{generation}.toc"
    stamp = (generation, toc.stat().st_mtime_ns if toc.exists() else 0)
    cached = _SEARCHERS.get(str(folder))
    if cached and cached[0] == stamp:
        return cached[1]
    if cached:
        cached[1].close()
    searcher = ix.searcher()
    _SEARCHERS[str(folder)] = (stamp, searcher)
    return searcher


def open_index(archive: Archive, create: bool = False) -> Index:
    """The archive's index; created when asked, else a clear error if there is none."""
    from whoosh import index

    folder = archive.index_dir
    if index.exists_in(str(folder), indexname=INDEX_NAME):
        return index.open_dir(str(folder), indexname=INDEX_NAME)
    if not create:
        raise BitesearchError(
            f"no index in {archive.root}: run `bitesearch ingest FILE` first "
            "(or `bitesearch reindex` if recordings/ is already there)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return index.create_in(str(folder), schema(), indexname=INDEX_NAME)


def documents(archive: Archive, edition: Edition, split: Split) -> list[dict[str, Any]]:
    """The index documents for an edition's passages."""
    talks = {t.slot: t for t in split.talks}
    folder = archive.edition_dir(edition.id).relative_to(archive.root)
    docs = []
    for n, p in enumerate(split.passages):
        talk = talks.get(p.slot)
        speakers = (
            talk.speakers if talk and p.kind != "host" else [edition.programme.host or "host"]
        )
        doc: dict[str, Any] = {
            "passage_id": f"{edition.id}/{n}",
            "edition_id": edition.id,
            "edition_label": edition.label,
            "series": edition.programme.series,
            "date": edition.programme.date,
            "talk": p.slot,
            "talk_id": f"{edition.id}/{p.slot}",
            "speakers": ",".join(speakers),
            "talk_speakers": ",".join(talk.speakers if talk else speakers),
            "speaker": " ".join(speakers),
            "spoken_by": p.speaker,
            "title": talk.title if talk else HOST_TITLE,
            "kind": p.kind,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "source": json.dumps(_source(edition, folder, talk if p.kind != "host" else None)),
            "split_key": split.key,
        }
        if edition.number is not None:
            doc["edition"] = edition.number
        if p.kind == "host":
            doc["_boost"] = HOST_BOOST
        docs.append(doc)
    return docs


def _source(edition: Edition, folder: Path, talk: Talk | None) -> dict[str, Any]:
    """Where to play the edition: its published recording, else its file (relative to the
    archive, so a moved archive needs no reindex); and the talk's clip with its start."""
    where: dict[str, Any] = {
        "recording": edition.programme.recording,
        "file": str(folder / (edition.source.file or edition.source.captions)),
    }
    if talk and talk.clip:
        where |= {"clip": str(folder / talk.clip), "clip_start": talk.start}
    return where


def edition_vectors(archive: Archive, edition: Edition, split: Split) -> Vectors:
    """The edition's passage vectors (embedded only where the text is new), in index order."""
    from bitesearch.vectors import edition_vectors as rows

    matrix = rows(archive, edition.id, [p.text for p in split.passages])
    ids = [f"{edition.id}/{n}" for n in range(len(split.passages))]
    return Vectors(ids, "".join(p.kind[0] for p in split.passages), matrix)


def _update_vectors(archive: Archive, edition_id: str, new: Vectors | None) -> None:
    from bitesearch.vectors import concat, empty, load_index, save_index

    current = load_index(archive.index_dir) or empty()
    kept = current.without_edition(edition_id)
    save_index(archive.index_dir, concat([kept, new]) if new else kept)


def indexed_key(archive: Archive, edition_id: str) -> str | None:
    """The split key the index holds for an edition (None when it holds none)."""
    from whoosh import index

    if not index.exists_in(str(archive.index_dir), indexname=INDEX_NAME):
        return None
    with open_index(archive).searcher() as searcher:
        doc = searcher.document(edition_id=edition_id)
    return doc.get("split_key") if doc else None


def index_edition(archive: Archive, edition: Edition, split: Split) -> int:
    """Replace an edition's documents in the index; returns how many passages it now has."""
    docs = documents(archive, edition, split)
    vectors = edition_vectors(archive, edition, split)  # before the index changes: may be slow
    writer = open_index(archive, create=True).writer()
    try:
        writer.delete_by_term("edition_id", edition.id)
        for doc in docs:
            writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    _update_vectors(archive, edition.id, vectors)
    write_tables(archive.index_dir)
    return len(docs)


def remove_edition(archive: Archive, edition_id: str) -> None:
    writer = open_index(archive, create=True).writer()
    writer.delete_by_term("edition_id", edition_id)
    writer.commit()
    _update_vectors(archive, edition_id, None)
    write_tables(archive.index_dir)


def complete_tables(archive: Archive) -> bool:
    """Write the query path's tables again when they do not belong to the index (a run killed
    between a commit and the tables, or an index written by an older version); True if so."""
    from bitesearch import tables
    from bitesearch.embed import QUERY_META

    folder = archive.index_dir
    with open_index(archive).searcher() as searcher:
        current = tables.current(searcher, folder) is not None
    if current and (folder / QUERY_META).is_file():
        return False
    write_tables(folder)
    return True


def write_tables(folder: Path) -> None:
    """The query path's files for the index in folder: its numpy tables, as the index now is
    (tables.py), and the query weights, when the folder does not hold them yet (embed.py)."""
    from bitesearch.embed import export_query_model

    _build_tables(folder)
    export_query_model(folder)


def _build_tables(folder: Path) -> None:
    from whoosh import index

    from bitesearch.tables import build

    with index.open_dir(str(folder), indexname=INDEX_NAME).searcher() as searcher:
        build(searcher, folder)


def reindex(archive: Archive, on_edition: Callable[[Edition], None] | None = None) -> int:
    """Rebuild the whole index and its vectors from recordings/ into a new folder, then swap
    it in. Vectors come from the editions' files; only new passage text is embedded."""
    from whoosh import index

    from bitesearch.embed import export_query_model
    from bitesearch.vectors import concat, save_index

    editions = [(e, s) for e in archive.editions() if (s := archive.load_split(e.id))]
    building = archive.root / ".index.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    writer = index.create_in(str(building), schema(), indexname=INDEX_NAME).writer(
        limitmb=WRITER_MB
    )
    count = 0
    parts = []
    for edition, split in editions:
        parts.append(edition_vectors(archive, edition, split))
        for doc in documents(archive, edition, split):
            writer.add_document(**doc)
            count += 1
        if on_edition:
            on_edition(edition)
    writer.commit()
    save_index(building, concat(parts))
    _build_tables(building)
    _swap_in(building, archive.index_dir)  # carries the query weights over
    export_query_model(archive.index_dir)  # (written only if there were none)
    return count


def _swap_in(building: Path, target: Path) -> None:
    """Replace the index folder in two renames, carrying over files that are not Whoosh's."""
    old = target.with_name(".index.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        for extra in target.iterdir():
            ours = extra.name.lstrip("_").startswith(INDEX_NAME) or (building / extra.name).exists()
            if not ours and extra.is_file():
                shutil.copy2(extra, building / extra.name)
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
