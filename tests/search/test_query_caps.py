"""What one query may cost is capped: a fuzzy term's edits, and the words a prefix, wildcard,
fuzzy term or range stands for; each cap is a note. No test here measures time."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import And, FuzzyTerm, Not, Or, Prefix, Term, Wildcard

from bitesearch.search import caps as caps_module
from bitesearch.search.caps import MAX_EDITS, MAX_EXPANSION, capped
from tests.conftest import run

WORDS = 600  # more than MAX_EXPANSION words that start with "zq"
FREQUENT = [f"zq{n:04d}" for n in range(0, WORDS, 100)]  # in 6 passages each, the rest in 1


@pytest.fixture(scope="module")
def searcher() -> Any:
    """A real Whoosh index (in memory) of WORDS passages of one word each, and five passages
    holding the FREQUENT words."""
    index = RamStorage().create_index(Schema(text=TEXT(stored=True)))
    writer = index.writer()
    for n in range(WORDS):
        writer.add_document(text=f"zq{n:04d}")
    for _ in range(5):
        writer.add_document(text=" ".join(FREQUENT))
    writer.commit()
    with index.searcher() as found:
        yield found


def words_of(query: Any, searcher: Any) -> set[str]:
    return {t.decode() for _, t in query.existing_terms(searcher.reader(), expand=True)}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        pytest.param(Prefix("text", "zq"), "zq*", id="prefix"),
        pytest.param(Wildcard("text", "z?0*"), "z?0*", id="wildcard"),
        pytest.param(And([Term("text", "zq0000"), Prefix("text", "zq")]), "zq*", id="in-and"),
        pytest.param(Or([Term("text", "x"), Not(Prefix("text", "zq"))]), "zq*", id="in-not"),
    ],
)
def test_a_wide_query_keeps_its_most_frequent_words(searcher: Any, query: Any, shown: str) -> None:
    notes: list[str] = []
    cut = capped(searcher.reader(), query, notes)
    assert notes == [f"{shown} stands for {WORDS} words: searched for the 512 most frequent"]
    kept = words_of(cut, searcher)  # the And's own word is one of them
    assert len(kept) == MAX_EXPANSION == 512
    assert set(FREQUENT) <= kept
    assert len(words_of(query, searcher)) == WORDS  # the query given is left as it was


def test_a_capped_prefix_matches_and_scores_as_whoosh_does_over_the_words_kept(
    searcher: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caps_module, "MAX_EXPANSION", WORDS - 1)  # one word left out
    notes: list[str] = []
    prefix = Prefix("text", "zq")
    cut = capped(searcher.reader(), prefix, notes)
    dropped = words_of(prefix, searcher) - words_of(cut, searcher)
    assert dropped == {"zq0599"}  # of the words in one passage each, the last
    full = {hit.docnum: hit.score for hit in searcher.search(prefix, limit=None)}
    kept = {hit.docnum: hit.score for hit in searcher.search(cut, limit=None)}
    (lost,) = set(full) - set(kept)
    assert searcher.stored_fields(lost)["text"] == "zq0599"
    assert kept == {d: s for d, s in full.items() if d != lost}


def test_a_fuzzy_term_is_capped_at_two_edits(searcher: Any) -> None:
    notes: list[str] = []
    query = Or([FuzzyTerm("text", "zq0000", maxdist=7), Term("text", "zq0001")])
    cut = capped(searcher.reader(), query, notes)
    assert notes[0] == "zq0000~7: a fuzzy term allows at most 2 edits; searched for zq0000~2"
    (fuzzy,) = [q for q in cut.leaves() if isinstance(q, FuzzyTerm)]
    assert fuzzy.maxdist == MAX_EDITS == 2
    assert query.subqueries[0].maxdist == 7  # the query given is left as it was


def test_a_query_within_the_caps_is_left_alone(searcher: Any) -> None:
    notes: list[str] = []
    query = Or([Prefix("text", "zq00"), FuzzyTerm("text", "zq0000", maxdist=2)])
    assert capped(searcher.reader(), query, notes) is query
    assert notes == []


# Through the CLI, over the sample edition's real index.


def query_json(archive: Path, text: str, *options: str) -> tuple[Any, str]:
    result = run("--archive", archive, "query", text, "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize(
    ("word", "asked"),
    [
        pytest.param("internationalisation", 7, id="internationalisation~7"),
        pytest.param("clinicians", 5, id="clinicians~5"),
    ],
)
def test_a_fuzzy_query_searches_at_most_two_edits(
    sample_archive: Path, word: str, asked: int
) -> None:
    hits, said = query_json(sample_archive, f"{word}~{asked}")
    assert re.search(rf"^Note: \w+~{asked}: a fuzzy term allows at most 2 edits; searched for "
                     r"\w+~2$", said, re.M)  # fmt: skip
    # the same talks; the meaning ranking embeds the query as typed, so the order of their
    # passages may differ: the keyword hits alone are the same to the last score
    assert {h["talk_id"] for h in hits} == {
        h["talk_id"] for h in query_json(sample_archive, f"{word}~2")[0]
    }
    exact = [query_json(sample_archive, f"{word}~{n}", "--exact")[0] for n in (asked, 2)]
    assert exact[0] == exact[1]


def test_a_wide_prefix_is_capped_with_a_note(
    sample_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caps_module, "MAX_EXPANSION", 3)  # the sample holds few words
    hits, said = query_json(sample_archive, "d*")
    found = re.search(r"^Note: d\* stands for (\d+) words: searched for the 3 most frequent$",
                      said, re.M)  # fmt: skip
    assert found and int(found.group(1)) > 3
    assert hits  # "data", in most passages, is one of the three
