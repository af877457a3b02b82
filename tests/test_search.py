"""Query through the real CLI over a real Whoosh index of the sample edition."""

import json
from pathlib import Path

import pytest

from tests.conftest import run, snapshot

HIT_KEYS = {"edition", "talk", "talk_id", "speakers", "title", "kind", "start", "end",
            "timestamp", "snippet", "score", "source"}  # fmt: skip


def query_json(archive: Path, *args: str) -> list[dict]:
    result = run("--archive", archive, "query", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("words", "slot"),
    [
        pytest.param("open data", 1, id="open-data"),
        pytest.param("dashboards", 2, id="dashboards"),
        pytest.param("AI", 3, id="two-letter-AI"),
        pytest.param("artificial intelligence", 3, id="artificial-intelligence"),
        pytest.param("licence OR license", 1, id="boolean-or"),
        pytest.param('"power bi"', 2, id="phrase"),
        pytest.param("chatbot", 3, id="stemmed-singular"),
    ],
)
def test_each_talk_is_found_first_by_its_topic(sample_archive: Path, words: str, slot: int) -> None:
    hits = query_json(sample_archive, words)
    assert hits[0]["talk"] == slot
    assert hits[0]["kind"] in ("talk", "qa")


def test_hits_carry_what_a_researcher_needs(sample_archive: Path) -> None:
    hit = query_json(sample_archive, "dashboards")[0]
    assert set(hit) >= HIT_KEYS
    assert hit["edition"] == 56
    assert hit["talk_id"] == "data-bites-056/2"
    assert hit["speakers"] == ["Priya Shah", "Tom Baker"]
    assert hit["speaker"] in ("Priya Shah", "Tom Baker", "audience")  # who spoke this passage
    assert hit["title"] == "Dashboards clinicians actually use"
    assert 90 < hit["start"] < hit["end"] < 160
    assert hit["timestamp"].startswith("00:0")
    assert "**dashboard" in hit["snippet"].lower()
    assert hit["source"].endswith(f"#t={int(hit['start'])}")
    assert Path(hit["source"].split("#")[0]).is_file()


def test_results_are_grouped_by_talk(sample_archive: Path) -> None:
    hits = query_json(sample_archive, "data")
    ids = [h["talk_id"] for h in hits]
    assert len(ids) == len(set(ids))
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_filters(sample_archive: Path) -> None:
    assert {h["talk"] for h in query_json(sample_archive, "data", "--speaker", "hopper")} == set()
    by_tom = query_json(sample_archive, "charts OR data", "--speaker", "Tom")
    assert by_tom and {h["talk"] for h in by_tom} == {2}
    assert {h["speaker"] for h in by_tom} == {"Tom Baker"}  # who spoke, not the talk's pair
    assert len(query_json(sample_archive, "data", "--limit", "1")) == 1
    assert query_json(sample_archive, "dashboards", "--edition", "56")[0]["talk"] == 2


def test_field_queries(sample_archive: Path) -> None:
    assert {h["talk"] for h in query_json(sample_archive, "speaker:rivers")} == {3}
    assert query_json(sample_archive, "title:dashboards")[0]["talk"] == 2


def test_terminal_output(sample_archive: Path) -> None:
    result = run("--archive", sample_archive, "query", "open data", "--limit", "2")
    assert result.exit_code == 0
    assert "Open data in local government" in result.stdout
    assert "Sam Milsom" in result.stdout
    assert "data-bites-056/1" in result.stdout


@pytest.mark.parametrize("text", ['"unclosed phrase', "AND", "(((dashboards", "title:", "data~~~"])
def test_odd_syntax_never_shows_a_traceback(sample_archive: Path, text: str) -> None:
    result = run("--archive", sample_archive, "query", text)
    assert result.exit_code in (0, 2)
    assert "Traceback" not in result.output
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["   "], "empty query", id="empty"),
        pytest.param(["the"], "nothing to search for", id="stopwords-only"),
        pytest.param(["data", "--edition", "99"], "no edition '99'", id="unknown-edition"),
        pytest.param(["data", "--limit", "0"], "--limit", id="zero-limit"),
    ],
)
def test_bad_queries(sample_copy: Path, args: list[str], message: str) -> None:
    before = snapshot(sample_copy)
    result = run("query", *args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(sample_copy) == before


def test_query_without_an_archive(own_archive: Path) -> None:
    result = run("query", "data")
    assert result.exit_code == 1
    assert "bitesearch ingest" in result.stderr
    assert not own_archive.exists()


def test_no_match(sample_archive: Path) -> None:
    assert query_json(sample_archive, "zeppelin") == []
    result = run("--archive", sample_archive, "query", "zeppelin")
    assert "No talks match" in result.stdout
