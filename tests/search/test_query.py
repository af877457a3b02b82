"""Query through the real CLI over a real Whoosh index of the sample edition."""

import json
import re
import shutil
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


def test_a_query_that_does_not_parse_falls_back_to_its_words(
    sample_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal: the note stays one line
    result = run("--archive", sample_archive, "query", "edition:[x TO")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Note: could not read 'edition:[x TO' as a query; searched for the words: edition x TO"
    ]


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


# --- issue 5: topics, hybrid retrieval, filters, facets, did-you-mean, passages, citations ---


def query_result(archive: Path, *args: str) -> object:
    result = run("--archive", archive, "query", *args)
    assert result.exit_code == 0, result.output
    return result


def test_topic_synonyms_are_applied_and_shown(sample_archive: Path) -> None:
    hit = query_json(sample_archive, "AI")[0]
    assert hit["talk"] == 3
    assert "artificial intelligence" in hit["also_matched"]
    assert "**artificial** **intelligence**" in " ".join(p["snippet"] for p in hit["passages"])
    out = query_result(sample_archive, "AI").stdout
    assert "also matched: artificial intelligence" in out


def test_exact_searches_the_words_only(sample_archive: Path) -> None:
    hits = query_json(sample_archive, "AI", "--exact")
    assert hits[0]["talk"] == 3 and hits[0]["also_matched"] == []
    snippets = " ".join(p["snippet"] for h in hits for p in h["passages"])
    assert "**artificial**" not in snippets and "**AI**" in snippets
    assert "exact words only" in query_result(sample_archive, "AI", "--exact").stdout


def test_hybrid_finds_talks_by_meaning(sample_archive: Path) -> None:
    # "hospital" is never said: the clinicians' dashboards talk is found by its vector only
    assert query_json(sample_archive, "hospital", "--exact") == []
    assert [h["talk"] for h in query_json(sample_archive, "hospital")] == [2]


def test_structured_queries_are_never_widened_by_meaning(sample_archive: Path) -> None:
    assert {h["talk"] for h in query_json(sample_archive, "speaker:rivers")} == {3}
    assert {h["talk"] for h in query_json(sample_archive, '"power bi"')} == {2}


def test_each_talk_shows_up_to_three_passages_with_links(sample_archive: Path) -> None:
    hit = query_json(sample_archive, "data")[0]
    assert 1 <= len(hit["passages"]) <= 3 <= hit["matches"]
    first = hit["passages"][0]
    assert (first["start"], first["snippet"], first["source"]) == (
        hit["start"],
        hit["snippet"],
        hit["source"],
    )
    assert [p["start"] for p in hit["passages"]] != [] and all(
        p["timestamp"].count(":") == 2 for p in hit["passages"]
    )
    clip, _, offset = hit["clip"].partition("#t=")
    assert Path(clip).is_file() and 0 <= int(offset) < hit["end"] - hit["start"] + 60


def test_citation(sample_archive: Path) -> None:
    hit = query_json(sample_archive, "dashboards")[0]
    # the citation names who said it: one of the two co-presenters (or the talk's pair)
    assert re.match(
        r"(Questions to )?(Priya Shah|Tom Baker|Priya Shah and Tom Baker), "
        r'"Dashboards clinicians actually use", '
        r"Data Bites #56 \(2026-10-14\), at 00:0",
        hit["citation"],
    )
    assert hit["citation"].endswith(hit["source"])
    out = query_result(sample_archive, "dashboards", "--cite", "--limit", "1").stdout
    assert f"Cite: {hit['citation']}" in out


@pytest.mark.parametrize(
    ("args", "talks", "kinds"),
    [
        pytest.param(["--kind", "qa"], {1, 2}, {"qa"}, id="kind-qa"),
        pytest.param(["--kind", "talk"], {1, 2, 3}, {"talk"}, id="kind-talk"),
        pytest.param(["--edition", "50..56"], {0, 1, 2, 3}, None, id="edition-range"),
        pytest.param(["--edition", "56.."], {0, 1, 2, 3}, None, id="edition-open-range"),
        pytest.param(["--since", "2026-10"], {0, 1, 2, 3}, None, id="since-month"),
        pytest.param(["--until", "2026-10-13"], set(), None, id="until-before"),
        pytest.param(["--since", "2027"], set(), None, id="since-after"),
        pytest.param(["--series", "data bites"], {0, 1, 2, 3}, None, id="series"),
        pytest.param(["--speaker", "Sam Milsom"], {1}, {"talk", "qa"}, id="speaker-full-name"),
    ],
)
def test_filter_options(
    sample_archive: Path, args: list[str], talks: set[int], kinds: set[str] | None
) -> None:
    hits = query_json(sample_archive, "data OR questions OR dashboards", "--exact", *args)
    assert {h["talk"] for h in hits} == talks
    if kinds:
        assert {p["kind"] for h in hits for p in h["passages"]} == kinds


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        pytest.param(
            ["--speaker", "hopper"], "no speaker 'hopper' in the archive", 1, id="speaker"
        ),
        pytest.param(["--edition", "60..70"], "no edition in 60..70", 1, id="edition-range"),
        pytest.param(["--edition", "56..50"], "runs backwards", 2, id="backwards-range"),
        pytest.param(["--since", "last year"], "is not a date", 2, id="bad-date"),
        pytest.param(["--since", "2026-13"], "is not a date", 2, id="bad-month"),
        pytest.param(["--since", "2027", "--until", "2026"], "is after --until", 2, id="dates"),
        pytest.param(["--kind", "keynote"], "choose from talk, qa, host", 2, id="kind"),
        pytest.param(["--series", "Data Chews"], "series: Data Bites", 1, id="series"),
        pytest.param(["--format", "docx"], "choose from text, md, json, csv", 2, id="format"),
    ],
)
def test_bad_filters_get_one_clear_line(
    sample_archive: Path, args: list[str], message: str, code: int
) -> None:
    result = run("--archive", sample_archive, "query", "data", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_field_edition_and_fuzzy_and_prefix(sample_archive: Path) -> None:
    assert query_json(sample_archive, "edition:56 AND dashboards")[0]["talk"] == 2
    assert query_json(sample_archive, "edition:[50 TO 55] AND dashboards") == []
    assert query_json(sample_archive, "dashbord~")[0]["talk"] == 2
    assert query_json(sample_archive, "dash*")[0]["talk"] == 2


def test_facets(sample_archive: Path) -> None:
    result = run("--archive", sample_archive, "query", "data", "--facets", "--json")
    data = json.loads(result.stdout)
    assert set(data) >= {"hits", "facets", "passages"}
    facets = data["facets"]
    assert facets["edition"] == {"Data Bites #56": data["passages"]}
    assert facets["year"] == {"2026": data["passages"]}
    assert facets["speaker"]["Sam Milsom"] >= 2
    out = query_result(sample_archive, "data", "--facets").stdout
    assert "passages by speaker" in out and "passages by year" in out


def test_did_you_mean(sample_archive: Path) -> None:
    result = query_result(sample_archive, "dashbords", "--exact")
    assert "No talks match" in result.stdout
    assert "Did you mean: dashboard" in result.stdout
    json_run = run("--archive", sample_archive, "query", "dashbords", "--exact", "--json")
    assert json.loads(json_run.stdout) == []
    assert "Did you mean: dashboard" in json_run.stderr


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_formats(sample_archive: Path, fmt: str) -> None:
    out = query_result(sample_archive, "dashboards", "--format", fmt, "--limit", "2").stdout
    if fmt == "json":
        assert json.loads(out)[0]["talk_id"] == "data-bites-056/2"
    elif fmt == "csv":
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows[0]["talk_id"] == "data-bites-056/2" and rows[0]["rank"] == "1"
        assert rows[0]["citation"].startswith(("Priya Shah,", "Tom Baker,", "Questions to Priya"))
        assert "**dashboard" in rows[0]["snippet"].lower()
    else:
        assert out.startswith("# Talks matching “dashboards”")
        assert "1. **Dashboards clinicians actually use**, Priya Shah and Tom Baker" in out
        assert re.search(r"Cite: (Questions to )?(Priya Shah|Tom Baker)", out)


def test_results_are_stable_across_reindex(sample_copy: Path) -> None:
    queries = [["AI"], ["open data", "--facets"], ["hospital"], ["data", "--exact"]]
    before = [run("query", *q, "--json").stdout for q in queries]
    assert run("reindex").exit_code == 0
    assert list((sample_copy / "index").glob("vectors-*.npy"))
    assert [run("query", *q, "--json").stdout for q in queries] == before


def test_reindex_reuses_the_vectors(sample_copy: Path) -> None:
    cache = sample_copy / "recordings" / "data-bites-056" / "embeddings.npy"
    stamp = cache.stat().st_mtime_ns
    shutil.rmtree(sample_copy / "index")
    assert run("reindex").exit_code == 0
    assert cache.stat().st_mtime_ns == stamp  # nothing was embedded again
    assert query_json(sample_copy, "hospital")[0]["talk"] == 2


def test_without_vectors_search_falls_back_to_keywords(sample_copy: Path) -> None:
    (sample_copy / "index" / "vectors.json").unlink()
    assert query_json(sample_copy, "AI")[0]["talk"] == 3
    assert query_json(sample_copy, "hospital") == []


def test_empty_archive(own_archive: Path) -> None:
    own_archive.mkdir()
    result = run("query", "data")
    assert result.exit_code == 1
    assert "no index" in result.stderr and "bitesearch ingest" in result.stderr
    assert run("reindex").exit_code == 0  # an archive with no editions: an empty index
    assert query_json(own_archive, "data") == []


def test_the_query_path_never_imports_torch(sample_archive: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from bitesearch.cli import app\n"
        f"try: app(['--archive', {str(sample_archive)!r}, 'query', 'AI'])\n"
        "except SystemExit: pass\n"
        "print('numpy' in sys.modules, 'torch' in sys.modules, 'bitesearch.ingest' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-3:] == ["True", "False", "False"]  # hybrid ran, without torch
