"""The meaning half of hybrid search: passages ranked by the cosine of their vector with the
query's, fused with the keyword (BM25) ranking by reciprocal rank fusion.

The query is embedded in process with numpy (embed.py): no torch on the query path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bitesearch.vectors import Vectors, load_index

if TYPE_CHECKING:
    import numpy as np

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
def _load(folder: Path, stamp: int) -> tuple[Vectors, dict[str, int], Any] | None:
    import numpy as np

    vectors = load_index(folder)
    if vectors is None or not vectors.ids:
        return None
    rows = {pid: n for n, pid in enumerate(vectors.ids)}
    penalty = np.array([HOST_PENALTY if k == "h" else 0.0 for k in vectors.kinds], np.float32)
    return vectors, rows, penalty


def index_vectors(folder: Path) -> tuple[Vectors, dict[str, int], Any] | None:
    """The index's vectors, loaded once per process (again when reindex rewrote them)."""
    try:
        stamp = (folder / "vectors.json").stat().st_mtime_ns
    except OSError:
        return None
    return _load(folder, stamp)


def similarities(folder: Path, text: str) -> tuple[np.ndarray, dict[str, int]] | None:
    """Every indexed passage's cosine with text (host passages lowered), and the row of each
    passage id; None when the index has no vectors."""
    from bitesearch.embed import embed_query

    loaded = index_vectors(folder)
    if loaded is None or not text:
        return None
    vectors, rows, penalty = loaded
    return vectors.matrix @ embed_query(text) - penalty, rows


def nearest(
    searcher: Any, folder: Path, text: str, allowed: set[int] | None
) -> list[tuple[int, float]]:
    """(docnum, cosine) of the passages nearest in meaning to text, best first."""
    import numpy as np

    if allowed is not None and len(allowed) <= SCAN_ALLOWED:
        return rerank(searcher, folder, text, sorted(allowed), MIN_COSINE)[:VECTOR_CANDIDATES]
    found = similarities(folder, text)
    if found is None:
        return []
    scores, _ = found
    ids = index_vectors(folder)[0].ids  # type: ignore[index]
    take = min(VECTOR_CANDIDATES * (4 if allowed is not None else 1), len(scores))
    top = np.argpartition(-scores, take - 1)[:take]
    ranked = sorted(top.tolist(), key=lambda r: (-float(scores[r]), r))
    out: list[tuple[int, float]] = []
    for row in ranked:
        if scores[row] < MIN_COSINE or len(out) >= VECTOR_CANDIDATES:
            break
        docnum = searcher.document_number(passage_id=ids[row])
        if docnum is not None and (allowed is None or docnum in allowed):
            out.append((docnum, float(scores[row])))
    return out


def rerank(
    searcher: Any, folder: Path, text: str, docnums: list[int], floor: float = -1.0
) -> list[tuple[int, float]]:
    """docnums ranked by meaning (those scoring at least floor). For queries whose operators
    decide what matches, fusion then reorders the keyword matches but never adds a passage the
    operators exclude; for a narrow filter, it scores every passage the filter allows."""
    found = similarities(folder, text)
    if found is None:
        return []
    scores, rows = found
    scored = []
    for docnum in docnums:
        row = rows.get(searcher.stored_fields(docnum)["passage_id"])
        if row is not None and scores[row] >= floor:
            scored.append((docnum, float(scores[row])))
    return sorted(scored, key=lambda d: (-d[1], d[0]))


def fuse(*rankings: Iterable[int]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each ranking adds 1 / (RRF_K + rank) to a passage's score."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, docnum in enumerate(ranking, start=1):
            scores[docnum] = scores.get(docnum, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda d: (-d[1], d[0]))
