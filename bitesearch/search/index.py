"""The Whoosh index of passages: its schema, one document a passage, and opening it.

Writes go through `store.py`, which replaces an edition's documents in one writer commit
(delete by edition, add), so re-ingesting never duplicates a talk and a crash leaves the last
committed state.
"""

from __future__ import annotations

import json
import pickle
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.index import IndexError as WhooshIndexError  # Whoosh's own, not the builtin

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError
from bitesearch.models import Edition, Split, Talk

if TYPE_CHECKING:
    from whoosh.index import Index

INDEX_NAME = "passages"
HOST_BOOST = 0.5  # host passages (intros, news) rank below the talks they introduce
# Whoosh's English stop list minus nothing we need: two-letter topics ("AI", "BI") are kept
# because the stemming analyser's minimum token length is 2.
MIN_TOKEN = 2
# A word longer than this is no word anyone searches for: a run of letters from a broken or
# hostile transcript. Left out at indexing and querying alike, so no term (and no fixed-width
# key of the numpy tables) grows with what a file holds.
MAX_TOKEN = 64
HOST_TITLE = "Host: opening, news and closing"
WRITER_MB = 256  # memory for the reindex writer: fewer, larger segment merges


def schema() -> Any:
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

    stem = StemmingAnalyzer(minsize=MIN_TOKEN, maxsize=MAX_TOKEN)
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
    try:
        generation = ix.latest_generation()
    except DAMAGE as exc:
        raise damaged(folder, exc) from None
    toc = folder / f"_{INDEX_NAME}_{generation}.toc"
    stamp = (generation, toc.stat().st_mtime_ns if toc.exists() else 0)
    cached = _SEARCHERS.get(str(folder))
    if cached and cached[0] == stamp:
        return cached[1]
    if cached:
        cached[1].close()
    try:
        searcher = ix.searcher()
    except DAMAGE as exc:
        raise damaged(folder, exc) from None
    _SEARCHERS[str(folder)] = (stamp, searcher)
    return searcher


def open_index(archive: Archive, create: bool = False) -> Index:
    """The archive's index; created when asked, else a clear error if there is none."""
    from whoosh import index

    folder = archive.index_dir
    if exists(folder):
        return open_folder(folder)
    if not create:
        raise BitesearchError(
            f"no index in {archive.root}: run `bitesearch ingest FILE` first "
            "(or `bitesearch reindex` if recordings/ is already there)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return index.create_in(str(folder), schema(), indexname=INDEX_NAME)


def open_folder(folder: Path) -> Index:
    """The index in folder, opened with bitesearch's own schema (the stored, pickled one is
    never read) and every other pickle read through the restricted unpickler."""
    from whoosh import index

    from bitesearch.search import safepickle

    safepickle.install()
    try:
        return index.open_dir(str(folder), indexname=INDEX_NAME, schema=schema())
    except DAMAGE as exc:
        raise damaged(folder, exc) from None


# what reading a truncated, random or planted index file raises somewhere inside Whoosh
DAMAGE: tuple[type[BaseException], ...] = (
    OSError, EOFError, pickle.UnpicklingError, struct.error, zlib.error, ValueError,
    IndexError, KeyError, TypeError, AttributeError, AssertionError, MemoryError,
    WhooshIndexError,
)  # fmt: skip
# the part of it a search can meet while it reads postings and stored fields
READ_DAMAGE: tuple[type[BaseException], ...] = (
    OSError, EOFError, pickle.UnpicklingError, struct.error, zlib.error, IndexError,
    WhooshIndexError,
)  # fmt: skip


def damaged(folder: Path, exc: BaseException) -> BitesearchError:
    """The one line for an index that cannot be read: which files, why, what repairs it."""
    from bitesearch.search.safepickle import UnsafeIndexError

    tocs = sorted(folder.glob(f"_{INDEX_NAME}_*.toc"))
    where = f"{tocs[-1]} and its segments" if tocs else str(folder)
    if isinstance(exc, UnsafeIndexError):
        return BitesearchError(
            f"refusing to read the index {where}: it is not one bitesearch wrote ({exc}); "
            "run `bitesearch reindex` to rebuild it from recordings/"
        )
    return BitesearchError(
        f"the index {where} is damaged ({exc.__class__.__name__}); "
        "run `bitesearch reindex` to rebuild it from recordings/"
    )


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


def indexed_key(archive: Archive, edition_id: str) -> str | None:
    """The split key the index holds for an edition (None when it holds none)."""
    if not exists(archive.index_dir):
        return None
    try:
        with open_index(archive).searcher() as searcher:
            doc = searcher.document(edition_id=edition_id)
    except DAMAGE as exc:
        raise damaged(archive.index_dir, exc) from None
    return doc.get("split_key") if doc else None


def exists(folder: Path) -> bool:
    """Whether folder holds a committed index (a TOC), found without unpickling anything."""
    return any(folder.glob(f"_{INDEX_NAME}_*.toc"))


def live_passages(searcher: Any) -> dict[str, int]:
    """passage id -> document number of every document not deleted (from the lexicon: no
    stored fields are read)."""
    reader = searcher.reader()
    found = {}
    for raw in reader.lexicon("passage_id"):
        pid = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        for doc in reader.postings("passage_id", raw).all_ids():
            if not reader.is_deleted(doc):
                found[pid] = doc
    return found
