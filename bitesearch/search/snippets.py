"""Snippets: the part of a passage that best shows why it matched, with the terms marked.

Whoosh's own highlighter breaks ties between equally good fragments differently from one query
to the next; this picks the window with the most matched terms, earliest first, every time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

SNIPPET_CHARS = 240
LEAD_CHARS = 60  # context kept before the first matched term
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"  # around highlighted terms; renderers style them


def matched_spans(text: str, terms: set[str], analyzer: Any) -> list[tuple[int, int]]:
    """Character spans of the tokens of text whose analysed form is one of terms."""
    if not terms:
        return []
    known = _FAST.get(id(analyzer))
    if known is None or known[0] is not analyzer:
        known = _FAST[id(analyzer)] = (analyzer, _fast(analyzer))
    fast = known[1]
    if fast is not None:
        return fast(text, terms)
    return [(t.startchar, t.endchar) for t in analyzer(text, chars=True) if t.text in terms]


_FAST: dict[int, tuple[Any, Callable[[str, set[str]], list[tuple[int, int]]] | None]] = {}


def _fast(analyzer: Any) -> Callable[[str, set[str]], list[tuple[int, int]]] | None:
    """Whoosh's StemmingAnalyzer (tokenise, lowercase, drop stop words, stem) as one loop over
    regex matches with a cached stemmer: the same tokens, without a generator and a Token
    object per word (a test checks it against the analyzer). None for any other analyzer.

    With Whoosh's Porter stemmer only the tokens that can stem to a term are looked at: Porter
    changes a word's ending only, so a word and its stem share their first letter, and their
    second too unless a final y became i ("eyed" -> "ei"). Those few tokens are found with
    str.find over the lowered text, then checked as the loop would."""
    import re

    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
    from whoosh.lang.porter import stem as porter

    parts = getattr(analyzer, "items", [])
    kinds = [type(p) for p in parts]
    if kinds != [RegexTokenizer, LowercaseFilter, StopFilter, StemFilter] or parts[0].gaps:
        return None
    words, stop, stemmer = parts[0].expression, parts[2], parts[3]
    stem = lru_cache(maxsize=50_000)(stemmer.stemfn)
    low, high, stops, ignore = stop.min, stop.max, stop.stops, stemmer.ignore

    def kept(word: str, terms: set[str]) -> bool:
        if len(word) < low or (high and len(word) > high) or word in stops:
            return False
        return (word if word in ignore else stem(word)) in terms

    def every_token(text: str, terms: set[str]) -> list[tuple[int, int]]:
        return [m.span() for m in words.finditer(text) if kept(m.group().lower(), terms)]

    if stemmer.stemfn is not porter or words.pattern != r"\w+(\.?\w+)*" or ignore:
        return every_token
    inside = re.compile(r"\w")

    def candidates(text: str, terms: set[str]) -> list[tuple[int, int]]:
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer: positions shift
            return every_token(text, terms)
        starts: set[int] = set()
        for head in _heads(terms):
            at = lowered.find(head)
            while at >= 0:
                starts.add(at)
                at = lowered.find(head, at + 1)
        found = []
        for at in sorted(starts):
            # a token starts here unless a word character, or one joined by a dot, comes before
            if at and (inside.match(text, at - 1) or (
                text[at - 1] == "." and at > 1 and inside.match(text, at - 2)
            )):  # fmt: skip
                continue
            match = words.match(text, at)
            if match and kept(lowered[at : match.end()], terms):
                found.append(match.span())
        return found

    return candidates


def _heads(terms: set[str]) -> set[str]:
    """The beginnings a token must have to stem (Porter) to one of terms."""
    heads = set()
    for term in terms:
        heads.add(term[:2])
        if len(term) >= 2 and term[1] == "i":
            heads.add(term[0] + "y")
    return heads


def snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """The window of text holding the most spans (earliest on a tie), spans marked."""
    if not spans:
        return _cut(text, 0, width)
    best_start, best_count = 0, -1
    for start, _ in spans:
        count = sum(1 for s, e in spans if start <= s and e <= start + width - LEAD_CHARS)
        if count > best_count:
            best_start, best_count = start, count
    begin = _word_start(text, max(best_start - LEAD_CHARS, 0))
    end = min(begin + width, len(text))
    marked = _mark(text, [(s, e) for s, e in spans if begin <= s and e <= end])
    return _cut(
        marked, begin, end - begin, shift=2 * sum(1 for s, e in spans if begin <= s and e <= end)
    )


def _word_start(text: str, i: int) -> int:
    if i == 0:
        return 0
    space = text.find(" ", i)
    return space + 1 if 0 <= space < i + 20 else i


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    out = text
    for s, e in sorted(spans, reverse=True):
        out = out[:s] + MARK_OPEN + out[s:e] + MARK_CLOSE + out[e:]
    return out


def _cut(text: str, begin: int, length: int, shift: int = 0) -> str:
    end = begin + length + shift
    piece = text[begin:end]
    if end < len(text):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return ("… " if begin > 0 else "") + piece.strip()
