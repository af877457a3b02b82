"""What one query may cost, capped: a fuzzy term at MAX_EDITS edits, and a prefix, wildcard,
fuzzy term or range at MAX_EXPANSION words (the most frequent kept); each cap is said in the
result's notes, so a user knows what was searched for."""

from __future__ import annotations

import copy
import functools
import heapq
from collections.abc import Iterator
from typing import Any

# Whoosh builds a Levenshtein automaton for a fuzzy term: its size grows steeply with the
# distance (internationalisation~7 took 65 s and 788 MB on 75 passages); 2 edits finds typos.
MAX_EDITS = 2
# Words a prefix, wildcard, fuzzy term or range may stand for: each is a matcher Whoosh walks
# for every query (a* in a large archive is tens of thousands); the most frequent are kept.
MAX_EXPANSION = 512


def capped(reader: Any, query: Any, notes: list[str]) -> Any:
    """The query with every fuzzy term at most MAX_EDITS edits, and every prefix, wildcard,
    fuzzy term and range standing for at most MAX_EXPANSION words (the most frequent, by
    passages holding them), each cap said once in `notes`; `query` itself when none applies."""
    from whoosh.query import FuzzyTerm
    from whoosh.query.terms import MultiTerm

    edits: dict[str, int] = {}  # fuzzy term -> the distance asked for
    wide: dict[str, int] = {}  # prefix, wildcard, ... -> how many words it stands for

    def walk(q: Any) -> Any:
        if isinstance(q, FuzzyTerm) and q.maxdist > MAX_EDITS:
            edits[q.text] = max(edits.get(q.text, 0), q.maxdist)
            q = copy.copy(q)
            q.maxdist = MAX_EDITS
        if isinstance(q, MultiTerm):
            kept, count = _most_frequent(reader, q)
            if kept is None:
                return q
            wide[_shown(q)] = max(wide.get(_shown(q), 0), count)
            return _kept_class()(q, kept)
        return q.apply(walk)

    result = walk(query)
    for text, asked in edits.items():
        notes.append(
            f"{text}~{asked}: a fuzzy term allows at most {MAX_EDITS} edits; "
            f"searched for {text}~{MAX_EDITS}"
        )
    for shown, count in wide.items():
        notes.append(
            f"{shown} stands for {count:,} words: searched for the {MAX_EXPANSION} most frequent"
        )
    return result if edits or wide else query


def _most_frequent(reader: Any, query: Any) -> tuple[list[bytes] | None, int]:
    """The MAX_EXPANSION words a multi-word query stands for that most passages hold (None
    when it stands for no more than that), and how many it stands for."""
    field_name = query.field()
    count = 0

    def words() -> Iterator[bytes]:
        nonlocal count
        for word in query._btexts(reader):
            count += 1
            yield word

    if field_name not in reader.schema:
        return None, 0
    try:
        kept = heapq.nlargest(
            MAX_EXPANSION, words(), key=lambda word: reader.doc_frequency(field_name, word)
        )
    except Exception:  # a query Whoosh cannot expand here (a prefix of a number field, ...)
        return None, 0
    return (sorted(kept) if count > MAX_EXPANSION else None), count


def _shown(query: Any) -> str:
    """A multi-word query as it was typed (less its field): data*, d?ta, [a TO b]."""
    from whoosh.query import FuzzyTerm, Prefix, TermRange

    if isinstance(query, FuzzyTerm):
        return f"{query.text}~{query.maxdist}"
    if isinstance(query, Prefix):
        return f"{query.text}*"
    if isinstance(query, TermRange):
        return f"[{query.start} TO {query.end}]"
    return str(query.text)


@functools.cache
def _kept_class() -> type:
    """A Whoosh multi-term query of given words, made when first needed (whoosh is imported
    lazily): it matches and scores as the query it was cut from, over fewer words."""
    from whoosh.query.terms import MultiTerm

    class Kept(MultiTerm):
        def __init__(self, original: Any, words: list[bytes]) -> None:
            self.fieldname, self.text = original.fieldname, getattr(original, "text", "")
            self.boost, self.constantscore = original.boost, original.constantscore
            self.words = words
            self.original = original

        def _btexts(self, ixreader: Any) -> Iterator[bytes]:
            return iter(self.words)

        def __eq__(self, other: object) -> bool:
            return type(other) is type(self) and vars(other) == vars(self)

        def __hash__(self) -> int:
            return hash((self.fieldname, tuple(self.words), self.boost))

        def __str__(self) -> str:
            return f"{self.original} (its {len(self.words)} most frequent words)"

    return Kept
