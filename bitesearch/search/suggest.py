"""'Did you mean': the archive's nearest words for query words it does not hold."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

OPERATORS = {"AND", "OR", "NOT", "TO"}
MAX_EDITS = 2
MIN_LIKENESS = 0.75  # 'dashbords' -> 'dashboards' (0.95), not 'hospital' -> 'host' (0.67)


def unknown_words(searcher: Any, text: str) -> list[tuple[str, str]]:
    """(word as typed, its indexed form) for each plain query word no passage holds."""
    analyzer = searcher.schema["text"].analyzer
    found = []
    for word in re.findall(r"(?<![\w:*~])[^\W\d_][\w']*(?![\w:*~])", text):
        if word in OPERATORS:
            continue
        terms = [t.text for t in analyzer(word)]
        if terms and not any(
            searcher.doc_frequency(field, term) for term in terms for field in ("text", "title")
        ):
            found.append((word, terms[0]))
    return found


def did_you_mean(searcher: Any, text: str) -> list[str]:
    """The query with each unknown word replaced by the nearest word the archive holds
    (an empty list when every word is known or nothing is near)."""
    unknown = unknown_words(searcher, text)
    if not unknown:
        return []
    corrector = searcher.corrector("text")
    corrected = text
    changed = False
    for word, term in unknown:
        near = corrector.suggest(term, limit=1, maxdist=MAX_EDITS)
        surface = (_as_spoken(searcher, near[0]) or near[0]) if near else ""
        if surface and SequenceMatcher(None, word.lower(), surface).ratio() >= MIN_LIKENESS:
            corrected = re.sub(rf"\b{re.escape(word)}\b", surface, corrected, count=1)
            changed = True
    return [corrected] if changed else []


def _as_spoken(searcher: Any, term: str) -> str | None:
    """A word as it was spoken whose indexed (stemmed) form is term: 'dashboards', not
    'dashboard', when that is what a passage says."""
    from whoosh.query import Term

    analyzer = searcher.schema["text"].analyzer
    for hit in searcher.search(Term("text", term), limit=1):
        text = hit["text"]
        for token in analyzer(text, chars=True):
            if token.text == term:
                return str(text[token.startchar : token.endchar]).lower()
    return None
