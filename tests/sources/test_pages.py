"""Edition write-up pages: the programme they give, `bitesearch programme`, `ingest --page`."""

import json
import tomllib
from pathlib import Path

import pytest

from bitesearch.programme import load_programme, parse_programme
from bitesearch.sources.common import parse_talk_line
from bitesearch.sources.pages import parse_page
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, run, snapshot
from tests.httpserver import Route, Server
from tests.sitedata import edition_page


@pytest.fixture
def page(http_server: Server) -> str:
    http_server.routes["/audio/56.mp3"] = Route(SAMPLE_AUDIO.read_bytes(), "audio/mpeg")
    recording = http_server.url("/audio/56.mp3")
    http_server.routes["/posts/56"] = Route(edition_page(recording), "text/html; charset=utf-8")
    return http_server.url("/posts/56")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sam Milsom: Open data", (["Sam Milsom"], "Open data")),
        ("Priya Shah and Tom Baker: Dashboards", (["Priya Shah", "Tom Baker"], "Dashboards")),
        (
            "A. N. Other, Bo Li & Jo Smith \u2013 Maps",
            (["A. N. Other", "Bo Li", "Jo Smith"], "Maps"),
        ),
        ("Update: slides are on the wiki", None),
        ("Thanks to everyone who came: see you soon", None),
    ],
)
def test_talk_lines(line: str, expected: object) -> None:
    assert parse_talk_line(line) == expected


def test_the_page_gives_the_sample_programme() -> None:
    programme, recording = parse_page(edition_page("/audio/56.mp3").decode(), "http://h/posts/56")
    expected = load_programme(SAMPLE_PROGRAMME)
    expected.venue = ""  # the page does not say
    expected.recording = recording = "http://h/audio/56.mp3"
    assert programme == expected and recording == "http://h/audio/56.mp3"


def test_links_other_than_http_are_not_recordings() -> None:
    html = edition_page("file:///etc/passwd").decode()
    programme, recording = parse_page(html, "http://h/posts/56")
    assert recording == "" and programme.recording == ""


def test_the_programme_command(page: str, tmp_path: Path) -> None:
    result = run("programme", page)
    assert result.exit_code == 0, result.output
    programme = parse_programme(tomllib.loads(result.stdout))
    assert [t.speakers for t in programme.talks] == [
        ["Sam Milsom"], ["Priya Shah", "Tom Baker"], ["Alex Rivers"]
    ]  # fmt: skip
    assert programme.host == "Dan Barrett" and programme.edition == 56
    target = tmp_path / "programme.toml"
    assert run("programme", page, "-o", target).exit_code == 0
    assert load_programme(target) == programme


def test_a_page_without_talks(http_server: Server, own_archive: Path) -> None:
    http_server.routes["/about"] = Route(b"<h1>About us</h1><p>We like data.</p>", "text/html")
    result = run("programme", http_server.url("/about"))
    assert result.exit_code == 1 and "no talks found" in result.stderr
    result = run("ingest", "--page", http_server.url("/about"))
    assert result.exit_code == 1 and snapshot(own_archive) == {}


def test_ingest_a_page_follows_its_recording(page: str, http_server: Server) -> None:
    result = run("ingest", "--page", page, "--json", "--beam-size", "1")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["edition_id"] == "data-bites-056" and report["talks"] == 3
    rows = json.loads(run("talks", "--json").stdout)
    assert rows[0]["title"] == "Open data in local government"
    assert len(http_server.requests("/audio/56.mp3")) == 1
