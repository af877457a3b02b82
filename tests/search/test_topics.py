"""The topic-synonym table and how a query is widened with it."""

import pytest

from bitesearch.search.topics import GROUPS, alternatives, expand


def test_ai_means_artificial_intelligence_and_machine_learning() -> None:
    assert {"artificial intelligence", "machine learning"} <= set(alternatives("AI"))
    assert "ai" in alternatives("artificial intelligence")
    assert "open datasets" in alternatives("open data")


@pytest.mark.parametrize(
    ("query", "expanded"),
    [
        pytest.param("AI", "(AI OR text:(artificial AND intelligence) OR", id="word"),
        pytest.param("AI AND bias", ") AND bias", id="operators-kept"),
        pytest.param(
            "open data portal", "(open data OR text:(open AND datasets)", id="phrase-first"
        ),
        pytest.param('"open data"', '"open data"', id="quoted-untouched"),
        pytest.param("speaker:ai", "speaker:ai", id="field-untouched"),
        pytest.param("zeppelin", "zeppelin", id="no-topic"),
    ],
)
def test_expand(query: str, expanded: str) -> None:
    assert expanded in expand(query).text


def test_expansion_lists_what_it_added_once() -> None:
    result = expand("AI and artificial intelligence")
    assert len(result.added) == len(set(result.added))
    assert expand("zeppelin").added == ()


def test_the_table_is_lowercase_without_repeats() -> None:
    for group in GROUPS:
        assert all(p == p.lower().strip() for p in group)
        assert len(group) == len(set(group))
