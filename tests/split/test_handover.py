"""The voice-aware split on a short real-speech fixture: a host hands over to a speaker, a
talk, an invitation, an audience question (a third voice), the answer, the host's thanks.

`tests/fixtures/handover.mp3` is real synthesised speech (scripts/make_handover.py) with its
truth beside it; it runs through the real encoder, clustering and split.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from tests.conftest import run

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "handover.mp3"
TRUTH = json.loads(FIXTURE.with_suffix(".json").read_text())


def said(voice: str, kind: str) -> list[dict]:
    return [u for u in TRUTH["utterances"] if u["voice"] == voice and u["kind"] == kind]


@pytest.fixture(scope="module")
def handover(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    archive = tmp_path_factory.mktemp("handover") / "archive"
    programme = archive.parent / "programme.toml"
    programme.write_text(
        'series = "Data Bites"\nedition = 1\nhost = "Dan Barrett"\n'
        '[[talks]]\nspeakers = ["Sam Milsom"]\naffiliations = ["St Helens Council"]\n'
        'title = "Open data"\n'
    )
    result = run("--archive", archive, "ingest", FIXTURE, "--programme", programme, "--quiet")
    assert result.exit_code == 0, result.output
    return Archive(archive)


def test_handover_boundaries(handover: Archive) -> None:
    split = handover.load_split("data-bites-001")
    assert split is not None and split.method == "voices"
    (talk,) = split.talks
    assert talk.start == pytest.approx(said("sam", "talk")[0]["start"], abs=1.0)
    assert talk.qa_start == pytest.approx(said("audience1", "qa")[0]["start"], abs=1.0)
    assert talk.end == pytest.approx(said("sam", "qa")[-1]["end"], abs=1.0)


def test_handover_speakers(handover: Archive) -> None:
    split = handover.load_split("data-bites-001")
    assert split is not None
    spoken = {}
    for p in split.passages:
        spoken.setdefault(p.speaker, []).append((p.start, p.end))
    assert set(spoken) == {"host", "Sam Milsom", "audience"}
    question = said("audience1", "qa")[0]
    (start, end), *_ = spoken["audience"]
    assert start == pytest.approx(question["start"], abs=1.0)
    assert end == pytest.approx(question["end"], abs=1.0)


def test_handover_without_a_programme(tmp_path: Path) -> None:
    result = run("--archive", tmp_path / "a", "ingest", FIXTURE, "--quiet", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    split = Archive(tmp_path / "a").load_split(report["edition_id"])
    assert split is not None
    assert {p.speaker for p in split.passages} >= {"Speaker 1", "Speaker 2"}
