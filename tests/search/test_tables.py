"""The query path's numpy tables score exactly as Whoosh does, and are used only while they
belong to the index: a real Whoosh index with several segments, deletions and boosts."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import MultifieldParser, OrGroup

from bitesearch.search import tables
from bitesearch.search.index import HOST_BOOST, INDEX_NAME, open_folder, schema
from bitesearch.search.query import SEARCH_FIELDS, without_common_words
from bitesearch.search.store import write_tables
from bitesearch.search.topics import expand
from tests.conftest import run

WORDS = [
    "data", "sharing", "dashboards", "hospital", "open", "licence", "council", "maps", "census",
    "privacy", "machine", "learning", "artificial", "intelligence", "quality", "clean", "records",
    "housing", "repairs", "traffic", "sensors", "charts", "waiting", "lists", "patients",
]  # fmt: skip


def _doc(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choice(["talk", "talk", "qa", "host"])
    doc = {
        "passage_id": f"e{n // 20}/{n % 20}",
        "edition_id": f"e{n // 20}",
        "talk_id": f"e{n // 20}/{n % 5}",
        "title": " ".join(rng.sample(WORDS, 3)),
        "speaker": rng.choice(["Ann Lee", "Raj Patel", "Data Champion"]),
        "kind": kind,
        "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 60))),
    }
    if kind == "host":
        doc["_boost"] = HOST_BOOST
    return doc


@pytest.fixture(scope="module")
def whoosh_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 passages over three commits (three segments), then a deletion."""
    folder = tmp_path_factory.mktemp("tables")
    ix = whoosh_index.create_in(str(folder), schema(), indexname=INDEX_NAME)
    rng = random.Random(7)
    for batch in range(3):
        writer = ix.writer()
        for n in range(batch * 100, batch * 100 + 100):
            writer.add_document(**_doc(rng, n))
        writer.commit(merge=False)
    writer = ix.writer()
    writer.delete_by_term("edition_id", "e3")
    writer.commit(merge=False)
    write_tables(folder)
    return folder


QUERIES = [
    "data", "hospital", "open data", "AI", "machine learning", "data sharing", "privacy",
    "charts OR maps", "hospital AND patients", "traffic AND sensors AND data", "speaker:raj",
    "title:dashboards", "patel", "data quality", "nothingatall", "clean records housing",
]  # fmt: skip


@pytest.mark.parametrize("text", QUERIES)
def test_scores_and_order_match_whoosh(whoosh_folder: Path, text: str) -> None:
    ix = open_folder(whoosh_folder)
    with ix.searcher() as searcher:
        assert len(list(searcher.reader().leaf_readers())) > 1  # several segments
        assert searcher.reader().has_deletions()
        parser = MultifieldParser(SEARCH_FIELDS, searcher.schema, group=OrGroup)
        query = without_common_words(searcher, parser.parse(expand(text).text))
        found = tables.tables_for(searcher, whoosh_folder)
        assert found is not None
        scores = found.score(query)
        assert scores is not None, str(query)
        ours = found.top(scores, None, 40)
        # Whoosh's exhaustive ranking (limit=None): its limited search skips blocks by an
        # estimate and can leave out a document that belongs in the top
        theirs = sorted(
            ((d, s) for s, d in searcher.search(query, limit=None).top_n),
            key=lambda p: (-round(p[1], 9), p[0]),
        )[:40]
        assert [(d, round(s, 9)) for d, s in ours] == [(d, round(s, 9)) for d, s in theirs]


def test_filtered_top_keeps_only_allowed(whoosh_folder: Path) -> None:
    ix = open_folder(whoosh_folder)
    with ix.searcher() as searcher:
        parser = MultifieldParser(SEARCH_FIELDS, searcher.schema, group=OrGroup)
        found = tables.tables_for(searcher, whoosh_folder)
        assert found is not None
        scores = found.score(parser.parse("data"))
        allowed = set(range(0, 300, 3))
        top = found.top(scores, allowed, 10)  # type: ignore[arg-type]
        assert top and all(d in allowed for d, _ in top)


@pytest.mark.parametrize(
    "text", ['"open data"', "data NOT hospital", "dash*", "licence~", "edition_id:e1"]
)
def test_other_queries_are_left_to_whoosh(whoosh_folder: Path, text: str) -> None:
    ix = open_folder(whoosh_folder)
    with ix.searcher() as searcher:
        from whoosh.qparser import FuzzyTermPlugin

        parser = MultifieldParser(SEARCH_FIELDS, searcher.schema, group=OrGroup)
        parser.add_plugin(FuzzyTermPlugin())
        found = tables.tables_for(searcher, whoosh_folder)
        assert found is not None and found.score(parser.parse(text)) is None


def test_tables_of_another_index_are_not_used(whoosh_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(whoosh_folder, copy)
    ix = open_folder(copy)
    writer = ix.writer()
    writer.add_document(**_doc(random.Random(1), 999))
    writer.commit()  # a commit the tables were not made from (as after a crash)
    with ix.searcher() as searcher:
        assert tables.tables_for(searcher, copy) is None
    write_tables(copy)
    with ix.searcher() as searcher:
        assert tables.tables_for(searcher, copy) is not None


def _hits(archive: Path, *args: str) -> list[tuple[str, list[float]]]:
    import json

    result = run("--archive", archive, "query", *args, "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    hits = json.loads(result.stdout)  # type: ignore[attr-defined]
    return [(h["talk_id"], [p["start"] for p in h["passages"]]) for h in hits]


@pytest.mark.parametrize(
    "args",
    [("open data",), ("AI",), ("dashboards", "--exact"), ("data", "--kind", "qa"), ("hospital",)],
)
def test_search_is_the_same_without_tables(sample_copy: Path, args: tuple[str, ...]) -> None:
    """The tables change how fast a query is, never what it finds."""
    with_tables = _hits(sample_copy, *args)
    assert (sample_copy / "index" / tables.META).is_file()
    (sample_copy / "index" / tables.META).unlink()
    assert _hits(sample_copy, *args) == with_tables
