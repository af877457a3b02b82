"""The meaning half of hybrid search: passages ranked by the cosine of their vector with the
query's, fused with the keyword (BM25) ranking by reciprocal rank fusion.

The query is embedded in process with numpy (embed.py), on a second thread while the keyword
half runs: no torch on the query path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.search.embed import embed_query
from bitesearch.search.vectors import Vectors, load_index

if TYPE_CHECKING:
    import numpy as np

    from bitesearch.search.tables import Tables

RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al. 2009)
VECTOR_CANDIDATES = 100  # passages taken from the vector ranking
SCAN_ALLOWED = 3000  # a filter allowing at most this many passages: score each of them
MIN_COSINE = 0.2  # below this a passage is not about the query (unrelated text scores < 0.18)
HOST_PENALTY = 0.15  # host passages name every topic of the evening; rank them below talks
_SYNTAX = re.compile(r"\b\w+:(\"[^\"]*\"|\([^)]*\)|\S+)|\b(AND|OR|NOT)\b|[\"()*~^]")


def meaning_text(query: str) -> str:
    """The words of a query that carry its meaning: no fields, operators or syntax."""
    return " ".join(_SYNTAX.sub(" ", query).split())


@lru_cache(maxsize=4)
def _load(folder: Path, stamp: int) -> tuple[Vectors, Any] | None:
    import numpy as np

    vectors = load_index(folder)
    if vectors is None or not vectors.ids:
        return None
    kinds = np.frombuffer(vectors.kinds.encode("ascii"), dtype=np.uint8)
    penalty = np.where(kinds == ord("h"), HOST_PENALTY, 0.0).astype(np.float32)
    return vectors, penalty


def _stamp(folder: Path) -> int | None:
    try:
        return (folder / "vectors.json").stat().st_mtime_ns
    except OSError:
        return None


def index_vectors(folder: Path) -> tuple[Vectors, Any] | None:
    """The index's vectors and each row's host penalty, loaded once per process (again when
    reindex rewrote them)."""
    stamp = _stamp(folder)
    return None if stamp is None else _load(folder, stamp)


@lru_cache(maxsize=4)
def _rows(folder: Path, stamp: int) -> dict[str, int]:
    """Passage id -> vector row: only when the index's tables are missing or stale (they hold
    each document's row)."""
    loaded = _load(folder, stamp)
    return {pid: n for n, pid in enumerate(loaded[0].ids)} if loaded else {}


@dataclass
class Meaning:
    """The meaning half of one query: its vector, embedded on another thread while the keyword
    half runs (the model's matrix products release the GIL, so the second core does them),
    and the index's tables (document <-> vector row) when they are current."""

    searcher: Any
    folder: Path
    pending: Future[np.ndarray] | None
    tables: Tables | None = None

    @classmethod
    def start(cls, searcher: Any, folder: Path, query: str, tables: Tables | None) -> Meaning:
        text = meaning_text(query)
        if not text or _stamp(folder) is None:  # no vectors: nothing to embed the query for
            return cls(searcher, folder, None, tables)
        # submitted first: loading the model overlaps loading the vectors and the keyword half
        return cls(searcher, folder, _pool().submit(embed_query, text, folder), tables)

    def similarities(self) -> np.ndarray | None:
        """Every indexed passage's cosine with the query (host passages lowered); None when
        the index has no vectors."""
        loaded = index_vectors(self.folder)
        if loaded is None or self.pending is None:
            return None
        vectors, penalty = loaded
        result: np.ndarray = vectors.matrix @ self.pending.result() - penalty
        return result

    def row(self, docnum: int) -> int | None:
        if self.tables is not None:
            row = int(self.tables.rows[docnum])
            return row if row >= 0 else None
        rows = _rows(self.folder, _stamp(self.folder) or 0)
        return rows.get(self.searcher.stored_fields(docnum)["passage_id"])

    def docnum(self, row: int) -> int | None:
        if self.tables is not None:
            docnums = self.tables.docnums
            return int(docnums[row]) if row < len(docnums) and docnums[row] >= 0 else None
        ids = index_vectors(self.folder)[0].ids  # type: ignore[index]
        found = self.searcher.document_number(passage_id=ids[row])
        return None if found is None else int(found)

    def nearest(self, allowed: set[int] | None) -> list[tuple[int, float]]:
        """(docnum, cosine) of the passages nearest in meaning to the query, best first."""
        import numpy as np

        if allowed is not None and len(allowed) <= SCAN_ALLOWED:
            return self.rerank(sorted(allowed), MIN_COSINE)[:VECTOR_CANDIDATES]
        scores = self.similarities()
        if scores is None:
            return []
        take = min(VECTOR_CANDIDATES * (4 if allowed is not None else 1), len(scores))
        top = np.argpartition(-scores, take - 1)[:take]
        ranked = sorted(top.tolist(), key=lambda r: (-float(scores[r]), r))
        out: list[tuple[int, float]] = []
        for row in ranked:
            if scores[row] < MIN_COSINE or len(out) >= VECTOR_CANDIDATES:
                break
            docnum = self.docnum(row)
            if docnum is not None and (allowed is None or docnum in allowed):
                out.append((docnum, float(scores[row])))
        return out

    def rerank(self, docnums: list[int], floor: float = -1.0) -> list[tuple[int, float]]:
        """docnums ranked by meaning (those scoring at least floor). For queries whose
        operators decide what matches, fusion then reorders the keyword matches but never adds
        a passage the operators exclude; for a narrow filter, it scores every passage the
        filter allows."""
        scores = self.similarities()
        if scores is None:
            return []
        scored = []
        for docnum in docnums:
            row = self.row(docnum)
            if row is not None and scores[row] >= floor:
                scored.append((docnum, float(scores[row])))
        return sorted(scored, key=lambda d: (-d[1], d[0]))


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bitesearch-embed")


def fuse(*rankings: Iterable[int]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each ranking adds 1 / (RRF_K + rank) to a passage's score."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, docnum in enumerate(ranking, start=1):
            scores[docnum] = scores.get(docnum, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda d: (-d[1], d[0]))
