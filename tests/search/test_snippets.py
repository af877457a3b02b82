"""Snippet spans: the fast loop marks exactly the words Whoosh's own analyzer would."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.analysis import StandardAnalyzer

from bitesearch.archive import Archive
from bitesearch.search.embed import model_dir
from bitesearch.search.index import schema
from bitesearch.search.snippets import _heads, matched_spans, snippet

EDITION = "data-bites-056"
TRICKY = [
    "The U.S. A.I. e-mail 3.5 million data-sharing it's we're naïve café",
    "Willing to use us? We will: dashboards, Dashboard, DASHBOARDS and dashboarding.",
    "A 2-letter AI, an x, and numbers like 2024 or 10.5% in between.",
    "Eyed, eyes, EYED: happy happiness; data.gov.uk and ab..data, x.data_sharing, _data.",
    "İstanbul's data (a capital whose lower case is two characters) and Straße data.",
]


def _slow(text: str, terms: set[str], analyzer: object) -> list[tuple[int, int]]:
    tokens = analyzer(text, chars=True)  # type: ignore[operator]
    return [(t.startchar, t.endchar) for t in tokens if t.text in terms]


def _texts(sample_archive: Path) -> list[str]:
    split = Archive(sample_archive).load_split(EDITION)
    assert split is not None
    return [p.text for p in split.passages] + TRICKY


def test_same_spans_as_the_analyzer(sample_archive: Path) -> None:
    analyzer = schema()["text"].analyzer
    for text in _texts(sample_archive):
        tokens = [t.text for t in analyzer(text)]
        # every term; every third, and stop words and their stems: never marked
        for terms in (set(tokens), set(tokens[::3]) | {"will", "us", "use", "the", "ai"}):
            assert matched_spans(text, terms, analyzer) == _slow(text, terms, analyzer), text


def test_another_analyzer_is_run_as_it_is() -> None:
    analyzer = StandardAnalyzer()
    text = TRICKY[1]
    assert matched_spans(text, {"dashboards"}, analyzer) == _slow(text, {"dashboards"}, analyzer)
    assert matched_spans(text, {"dashboards"}, analyzer)


@pytest.mark.parametrize("terms", [set(), {"nothing"}])
def test_no_terms_no_marks(terms: set[str]) -> None:
    text = TRICKY[1]
    assert matched_spans(text, terms, schema()["text"].analyzer) == []
    assert "\x02" not in snippet(text, [])


def test_a_stem_begins_as_its_word_does() -> None:
    """What the fast loop's look-up relies on, for 22,500 English words (MiniLM's vocabulary):
    a word starts with one of the heads of its own Porter stem."""
    import json

    stem = schema()["text"].analyzer.items[3].stemfn
    vocabulary = json.loads((model_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    words = [w for w in vocabulary["model"]["vocab"] if w.isalpha()]
    assert len(words) > 20_000
    assert [w for w in words if not w.startswith(tuple(_heads({stem(w)})))] == []
