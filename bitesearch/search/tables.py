"""Lookup tables beside the Whoosh index, in numpy, for the query path.

Whoosh scores a query by walking a tree of matchers in Python, document by document: a topic
query OR-ed with its synonyms spends tens of milliseconds there. These tables hold the same
numbers, made from the Whoosh index after every commit, so a query made only of words, OR and
AND (what a plain query and its topic synonyms parse to) is scored with a few array additions:

    index/tables.json        schema; the Whoosh index and vectors.json they were made from
    index/tables.keys.npy    every b"field\\x1fterm" of the searched fields, sorted
    index/tables.starts.npy  where each key's postings start in docs and scores (one more)
    index/tables.docs.npy    postings: document numbers (int32)
    index/tables.scores.npy  postings: Whoosh's BM25F score of the term in the document
    index/tables.talks.npy   each document's talk, as a number (-1: deleted)
    index/tables.rows.npy    each document's row in vectors.npy (-1: none)

A score is Whoosh's own: its idf and average field length, the quantised field length it
stores, posting weights with the field and host boosts in them, and BM25F's formula; a test
checks the rankings against Whoosh's. Tables that do not belong to the index a query has open
(an index written by an older version, or a crash between a commit and the tables) are not
used: the query falls back to Whoosh, and `reindex` writes them again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.archive import atomic_write, read_json, write_json
from bitesearch.errors import BitesearchError

if TYPE_CHECKING:
    import numpy as np

FIELDS = ("speaker", "text", "title")  # the fields a plain query searches (sorted)
META = "tables.json"
ARRAYS = ("keys", "starts", "docs", "scores", "talks", "rows")
SCHEMA = 1


@dataclass(frozen=True)
class Tables:
    keys: np.ndarray
    starts: np.ndarray
    docs: np.ndarray
    scores: np.ndarray
    talks: np.ndarray  # document -> talk number
    rows: np.ndarray  # document -> vector row
    docnums: np.ndarray  # vector row -> document

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents, scores) of a term in a field; empty when the index does not hold it."""
        import numpy as np

        key = np.bytes_(f"{field}\x1f{term}".encode())
        at = int(np.searchsorted(self.keys, key))
        if at == len(self.keys) or self.keys[at] != key:
            return self.docs[:0], self.scores[:0]
        begin, end = int(self.starts[at]), int(self.starts[at + 1])
        return self.docs[begin:end], self.scores[begin:end]

    def score(self, query: Any) -> np.ndarray | None:
        """Every document's score for a query of terms, OR and AND, as Whoosh's BM25F scores
        it (0: no match); None for anything else (phrases, NOT, prefixes, fuzzy terms, ...)."""
        import numpy as np

        out = np.zeros(len(self.talks))
        return out if self._add(query, out) else None

    def _add(self, query: Any, out: np.ndarray) -> bool:
        """Add the query's scores into out, in place (an OR of twenty terms allocates
        nothing); False when the query is not one of terms, OR and AND."""
        import numpy as np
        from whoosh.query import And, Or, Term

        kind = type(query)
        if kind is Term:
            if query.fieldname not in FIELDS:
                return False
            docs, scores = self.postings(query.fieldname, query.text)
            out[docs] += scores * query.boost if query.boost != 1 else scores  # docs unique
            return True
        if kind not in (And, Or) or query.boost != 1 or getattr(query, "scale", None):
            return False
        if not query.subqueries:
            return False
        if kind is Or:
            return all(self._add(sub, out) for sub in query.subqueries)
        total, every = np.zeros(len(out)), np.ones(len(out), dtype=bool)
        for sub in query.subqueries:  # AND: the sum where every part matches
            part = np.zeros(len(out))
            if not self._add(sub, part):
                return False
            total += part
            every &= part > 0
        out[every] += total[every]
        return True

    def top(
        self, scores: np.ndarray, allowed: set[int] | None, limit: int
    ) -> list[tuple[int, float]]:
        """The best `limit` (document, score) pairs, best first, ties by document number (as
        Whoosh's collector orders them)."""
        import numpy as np

        if allowed is not None:
            keep = np.zeros(len(scores), dtype=bool)
            keep[list(allowed)] = True
            scores = np.where(keep, scores, 0.0)
        found = np.flatnonzero(scores > 0)
        if len(found) > limit:  # keep every document tied with the last one kept
            kth = np.partition(-scores[found], limit - 1)[limit - 1]
            found = found[-scores[found] <= kth]
        order = np.lexsort((found, -scores[found]))
        return [(int(d), float(scores[d])) for d in found[order][:limit]]


def stamp(searcher: Any) -> str:
    """What identifies the index a searcher has open: its segments and document counts (a new
    commit adds or merges segments; a deletion changes the count)."""
    reader = searcher.reader()
    found = [getattr(leaf, "segment", lambda: None)() for leaf, _ in reader.leaf_readers()]
    segments = [s.segment_id() for s in found if s is not None]  # none in an empty index
    return f"{','.join(segments)}|{reader.doc_count()}|{reader.doc_count_all()}"


def vectors_hash(folder: Path) -> str:
    try:
        return hashlib.sha1((folder / "vectors.json").read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def build(searcher: Any, folder: Path) -> None:
    """Write the tables of the index `searcher` has open into folder (its index folder)."""
    import numpy as np
    from whoosh.scoring import BM25F

    from bitesearch.search.vectors import load_index

    if type(searcher.weighting) is not BM25F:
        return
    reader = searcher.reader()
    count = reader.doc_count_all()
    found: list[tuple[bytes, list[int], np.ndarray]] = []
    for field in FIELDS:
        lengths = np.array(
            [reader.doc_field_length(d, field, 1) or 1 for d in range(count)], dtype=np.float64
        )
        for term, docs, weights in _postings(reader, field):
            scores = _bm25(searcher, field, term, weights, lengths[docs])
            found.append((f"{field}\x1f{term}".encode(), docs, scores))
    found.sort(key=lambda f: f[0])
    arrays = {
        "keys": np.array([f[0] for f in found], dtype=bytes),
        "starts": np.cumsum([0] + [len(f[1]) for f in found], dtype=np.int64),
        "docs": np.array([d for f in found for d in f[1]], dtype=np.int32),
        "scores": np.concatenate([f[2] for f in found]) if found else np.zeros(0),
        "talks": _talks(reader, count),
        "rows": _rows(reader, count, load_index(folder)),
    }
    for name in ARRAYS:
        with atomic_write(folder / f"tables.{name}.npy", "wb") as handle:
            np.save(handle, arrays[name])
    meta = {"schema": SCHEMA, "index": stamp(searcher), "vectors": vectors_hash(folder)}
    write_json(folder / META, meta)  # last: tables without it are never read


def _postings(reader: Any, field: str) -> list[tuple[str, list[int], np.ndarray]]:
    """(term, live documents, posting weights) of every term in a field."""
    import numpy as np

    if field not in reader.schema or not reader.schema[field].scorable:
        return []
    deleted = reader.has_deletions()
    out = []
    for raw in reader.lexicon(field):
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        matcher = reader.postings(field, raw)
        docs: list[int] = []
        weights: list[float] = []
        while matcher.is_active():
            doc = matcher.id()
            if not (deleted and reader.is_deleted(doc)):
                docs.append(doc)
                weights.append(matcher.weight())
            matcher.next()
        if docs:
            out.append((term, docs, np.array(weights, dtype=np.float64)))
    return out


def _bm25(searcher: Any, field: str, term: str, tf: np.ndarray, fl: np.ndarray) -> np.ndarray:
    """whoosh.scoring.bm25 over arrays, with the searcher's own idf and average length."""
    weighting = searcher.weighting
    b = weighting._field_B.get(field, weighting.B)
    k1 = weighting.K1
    idf = searcher.idf(field, term)
    avgfl = searcher.avg_field_length(field) or 1
    result: np.ndarray = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
    return result


def _talks(reader: Any, count: int) -> np.ndarray:
    import numpy as np

    talks = np.full(count, -1, dtype=np.int32)
    for number, raw in enumerate(reader.lexicon("talk_id")):
        matcher = reader.postings("talk_id", raw)
        talks[list(matcher.all_ids())] = number
    if reader.has_deletions():
        talks[[d for d in range(count) if reader.is_deleted(d)]] = -1
    return talks


def _rows(reader: Any, count: int, vectors: Any) -> np.ndarray:
    import numpy as np

    rows = np.full(count, -1, dtype=np.int32)
    if vectors is None:
        return rows
    row_of = {pid: n for n, pid in enumerate(vectors.ids)}
    for raw in reader.lexicon("passage_id"):
        row = row_of.get(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        if row is not None:
            for doc in reader.postings("passage_id", raw).all_ids():
                if not reader.is_deleted(doc):
                    rows[doc] = row
    return rows


def current(searcher: Any, folder: Path) -> dict[str, Any] | None:
    """The tables' metadata when they were made from the index the searcher has open and from
    the vectors beside it; None otherwise. Reads no arrays (and imports no numpy)."""
    try:
        meta = read_json(folder / META)
    except BitesearchError:
        return None  # damaged: the query asks Whoosh, and the next write makes them again
    if not meta or meta.get("schema") != SCHEMA or meta.get("index") != stamp(searcher):
        return None
    return meta if meta.get("vectors") == vectors_hash(folder) else None


def tables_for(searcher: Any, folder: Path) -> Tables | None:
    """The folder's tables when they are current; None otherwise (the caller asks Whoosh)."""
    meta = current(searcher, folder)
    return None if meta is None else _load(folder, json.dumps(meta, sort_keys=True))


@lru_cache(maxsize=4)
def _load(folder: Path, meta: str) -> Tables | None:
    import numpy as np

    try:
        arrays = {n: np.load(folder / f"tables.{n}.npy", mmap_mode="r") for n in ARRAYS}
    except (OSError, ValueError):
        return None
    rows = np.asarray(arrays["rows"])
    docnums = np.full(int(rows.max(initial=-1)) + 1, -1, dtype=np.int64)
    has_row = np.flatnonzero(rows >= 0)
    docnums[rows[has_row]] = has_row
    del meta  # part of the cache key only
    return Tables(**arrays, docnums=docnums)
