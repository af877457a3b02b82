"""`bitesearch show`: a talk's transcript around a moment, through the real CLI."""

import json
from pathlib import Path

import pytest

from tests.conftest import run


def test_whole_talk(sample_archive: Path) -> None:
    result = run("--archive", sample_archive, "show", "data-bites-056/2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Dashboards clinicians actually use — Priya Shah and Tom Baker" in out
    assert "[00:01:34] Priya Shah: Hi everyone" in out  # the talk, each line with its speaker
    # the questions: the audience's line, then Tom's answer (Whisper may or may not end the
    # host's "any questions for Priya and Tom?" before the question starts, so not its words)
    asked = out.index("] Audience: ")
    assert "ask for more charts" in out[asked:] and "] Tom Baker: They do" in out[asked:]
    assert "▶ [" not in out  # no moment asked for, none marked


def test_around_a_moment(sample_archive: Path) -> None:
    result = run("--archive", sample_archive, "show", "data-bites-056/2", "--at", "00:01:51",
                 "--window", "15", "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert data["at"] == 111.0
    assert data["link"].endswith("#t=111")
    assert all(abs(line["start"] - 111) < 25 for line in data["lines"])
    marked = [line for line in data["lines"] if line["here"]]
    assert len(marked) == 1 and marked[0]["start"] <= 111
    text = run("--archive", sample_archive, "show", "data-bites-056/2", "--at", "1:51").stdout
    assert "▶ [00:01:4" in text or "▶ [00:01:5" in text


def test_numbers_name_the_edition(sample_archive: Path) -> None:
    assert run("--archive", sample_archive, "show", "56/3").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["data-bites-056/9"], "has no talk 9", id="unknown-talk"),
        pytest.param(["data-bites-099/1"], "no edition 'data-bites-099'", id="unknown-edition"),
        pytest.param(["dashboards"], "not a talk id", id="not-an-id"),
        pytest.param(["data-bites-056/2", "--at", "01:00:00"], "outside talk", id="outside"),
        pytest.param(["data-bites-056/2", "--at", "soon"], "not a time", id="bad-time"),
        pytest.param(["data-bites-056/2", "--window", "0"], "--window", id="window"),
    ],
)
def test_bad_input(sample_archive: Path, args: list[str], message: str) -> None:
    result = run("--archive", sample_archive, "show", *args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_host_part_of_an_edition(sample_archive: Path) -> None:
    """A host hit's id (…/0) opens the host's opening, news and closing."""
    result = run("--archive", sample_archive, "show", "data-bites-056/0")
    assert result.exit_code == 0, result.output
    assert "Host: opening, news and closing — Dan Barrett" in result.stdout
    assert "Dan Barrett (host): Good evening" in result.stdout
    assert "Sam Milsom:" not in result.stdout
