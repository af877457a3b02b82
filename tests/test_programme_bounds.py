"""Programmes are bounded before they are stored: times, edition numbers, counts, lengths and
control characters (bitesearch.programme.check_programme)."""

import tomllib
from pathlib import Path

import pytest

from bitesearch import programme as bounds
from bitesearch.errors import BitesearchError
from bitesearch.models import Programme, ProgrammeTalk, Source
from bitesearch.programme import check_programme, check_source, load_programme, parse_programme
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, run, snapshot

TALK = '[[talks]]\nspeakers = ["Sam Milsom"]\n'


def talks(count: int) -> str:
    return "".join(f'[[talks]]\nspeakers = ["Speaker {n}"]\n' for n in range(count))


def people(count: int, key: str = "speakers") -> str:
    names = ", ".join(f'"Speaker {n}"' for n in range(count))
    return (
        f"[[talks]]\nspeakers = [{names}]\n"
        if key == "speakers"
        else (f'[[talks]]\nspeakers = ["Sam Milsom"]\n{key} = [{names}]\n')
    )


def text(key: str, length: int, talk: bool = False) -> str:
    line = f'{key} = "{"x" * length}"\n'
    return TALK + line if talk else line


BAD = [
    pytest.param(TALK + "start = nan\n", "talk 1 'start'", "finite", id="start-nan"),
    pytest.param(TALK + "start = inf\n", "talk 1 'start'", "finite", id="start-inf"),
    pytest.param(TALK + 'end = "inf"\n', "talk 1 'end'", "finite", id="end-inf-text"),
    pytest.param(TALK + 'start = "49:00:00"\n', "talk 1 'start'", "48 hours", id="start-49h"),
    pytest.param(TALK + "end = 1e12\n", "talk 1 'end'", "48 hours", id="end-huge"),
    pytest.param("edition = 99999999999\n", "'edition'", "0 to 99999", id="edition-huge"),
    pytest.param("edition = -3\n", "'edition'", "0 to 99999", id="edition-negative"),
    pytest.param("edition = 100000\n", "'edition'", "0 to 99999", id="edition-100000"),
    pytest.param(talks(65), "talks", "at most 64", id="65-talks"),
    pytest.param(people(9), "talk 1 'speakers'", "at most 8", id="9-speakers"),
    pytest.param(people(9, "affiliations"), "talk 1 'affiliations'", "at most 8", id="9-orgs"),
    pytest.param(text("title", 301), "'title'", "at most 300", id="title-301"),
    pytest.param(text("title", 10_000_000), "'title'", "at most 300", id="title-10MB"),
    pytest.param(text("title", 301, talk=True), "talk 1 'title'", "at most 300", id="talk-title"),
    pytest.param(text("series", 101), "'series'", "at most 100", id="series-101"),
    pytest.param(text("venue", 201), "'venue'", "at most 200", id="venue-201"),
    pytest.param(text("host", 121), "'host'", "at most 120", id="host-121"),
    pytest.param(text("recording", 2001), "'recording'", "at most 2000", id="recording-2001"),
    pytest.param(
        f'[[talks]]\nspeakers = ["{"x" * 121}"]\n', "talk 1 speaker 1", "at most 120", id="name"
    ),
    pytest.param(
        f'{TALK}affiliations = ["{"x" * 201}"]\n',
        "talk 1 affiliation 1",
        "at most 200",
        id="affiliation",
    ),
    pytest.param('[[talks]]\nspeakers = ["\\u0007"]\n', "talk 1 speaker 1", "empty", id="bell"),
]


@pytest.mark.parametrize(("toml", "field", "message"), BAD)
def test_parse_programme_rejects_what_breaks_an_archive(
    toml: str, field: str, message: str
) -> None:
    with pytest.raises(BitesearchError) as caught:
        parse_programme(tomllib.loads(toml), where="programme p.toml")
    said = str(caught.value)
    assert said.startswith(f"programme p.toml: {field}")
    assert message in said
    assert "\n" not in said and len(said) < 200  # one line, never the 10 MB value


@pytest.mark.parametrize(("toml", "field", "message"), BAD)
def test_ingest_refuses_the_programme_and_changes_nothing(
    sample_copy: Path, tmp_path: Path, toml: str, field: str, message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(toml, encoding="utf-8")
    before = snapshot(sample_copy)
    result = run("ingest", SAMPLE_AUDIO, "--programme", bad)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: programme {bad}: {field}")
    assert message in result.stderr
    assert snapshot(sample_copy) == before


@pytest.mark.parametrize(
    ("programme", "message"),
    [
        pytest.param(
            Programme(talks=[ProgrammeTalk(["A"], start=-3.0)]),
            "talk 1 'start' is negative",
            id="negative-start",
        ),
        pytest.param(
            Programme(talks=[ProgrammeTalk(["A"], start=10.0, end=5.0)]),
            "talk 1 ends (5 s) before it starts (10 s)",
            id="end-before-start",
        ),
        pytest.param(
            Programme(talks=[ProgrammeTalk(["A"], end=float("nan"))]),
            "talk 1 'end' must be a finite number of seconds",
            id="end-nan",
        ),
        pytest.param(Programme(edition=True), "'edition' must be a whole number", id="bool"),
        pytest.param(Programme(title=5), "'title' must be text", id="title-number"),  # type: ignore[arg-type]
        pytest.param(Programme(date="14/10/2026"), "'date' must be YYYY-MM-DD", id="bad-date"),
        pytest.param(
            Programme(talks=[ProgrammeTalk(["A", 7])]),  # type: ignore[list-item]
            "talk 1 speaker 2 must be text",
            id="speaker-number",
        ),
    ],
)
def test_check_programme_rejects_stored_programmes_too(programme: Programme, message: str) -> None:
    """What the archive loader and ingest pass it (JSON can hold NaN, and any type)."""
    with pytest.raises(BitesearchError, match=r"^edition data-bites-056: ") as caught:
        check_programme(programme, "edition data-bites-056")
    assert message in str(caught.value)


def test_control_characters_are_stripped_from_names_and_titles() -> None:
    toml = (
        'title = "Data\\u0000 Bites\\u001b[31m #56\\u202e"\n'
        '[[talks]]\nspeakers = ["Sam\\tMilsom\\u0085", " Priya\\nShah "]\n'
        'title = "Open\\r\\ndata\\u0008"\n'
    )
    programme = parse_programme(tomllib.loads(toml))
    assert programme.title == "Data Bites[31m #56"
    assert programme.talks[0].speakers == ["Sam Milsom", "Priya Shah"]
    assert programme.talks[0].title == "Open data"


def test_check_programme_leaves_its_argument_alone() -> None:
    given = Programme(title="Data\x00 Bites", talks=[ProgrammeTalk(["Sam\x07 Milsom"])])
    checked = check_programme(given, "programme")
    assert (checked.title, checked.talks[0].speakers) == ("Data Bites", ["Sam Milsom"])
    assert given.title == "Data\x00 Bites" and given.talks[0].speakers == ["Sam\x07 Milsom"]


def test_the_bounds_are_generous_for_real_programmes() -> None:
    at_limits = Programme(
        series="s" * bounds.SERIES_CHARS,
        edition=bounds.MAX_EDITION,
        title="t" * bounds.TITLE_CHARS,
        date="2026-10-14",
        venue="v" * bounds.VENUE_CHARS,
        host="h" * bounds.HOST_CHARS,
        recording="https://example.org/" + "r" * (bounds.URL_CHARS - 20),
        talks=[
            ProgrammeTalk(
                speakers=["n" * bounds.NAME_CHARS] * bounds.MAX_SPEAKERS,
                title="t" * bounds.TITLE_CHARS,
                affiliations=["a" * bounds.AFFILIATION_CHARS] * bounds.MAX_SPEAKERS,
                start=float(n * 60),
                end=float(n * 60 + 60) if n < bounds.MAX_TALKS - 1 else bounds.MAX_SECONDS,
            )
            for n in range(bounds.MAX_TALKS)
        ],
    )
    assert check_programme(at_limits, "programme") == at_limits
    assert check_programme(Programme(edition=0), "programme").edition == 0
    sample = load_programme(SAMPLE_PROGRAMME)
    assert check_programme(sample, "programme") == sample


def test_check_source_bounds_what_a_feed_or_platform_says() -> None:
    source = Source("feed.xml", "0" * 64, 1, 1.0, "", title="Data\x1b[31m Bites\n#56",
                    description="Show notes.\r\n" + "x" * 9_000 + "\x00")  # fmt: skip
    checked = check_source(source, "feed item 3")
    assert checked.title == "Data[31m Bites #56"
    assert checked.description.startswith("Show notes.\nxxx")
    assert len(checked.description) == bounds.DESCRIPTION_CHARS
    assert checked.description.endswith("…")
    with pytest.raises(BitesearchError, match=r"^feed item 3: source 'title' is 301 characters"):
        check_source(Source("f", "0", 1, 1.0, "", title="t" * 301), "feed item 3")
    with pytest.raises(BitesearchError, match=r"^feed item 3: source 'url' is 2,001 characters"):
        check_source(Source("f", "0", 1, 1.0, "", url="u" * 2001), "feed item 3")


def test_a_stored_programme_out_of_bounds_is_one_line(sample_copy: Path) -> None:
    """An edition.json planted (or left by an older version) with a time that is not a number:
    `talks` and `reindex` say which file, in one line, instead of crashing."""
    import json

    path = sample_copy / "recordings" / "data-bites-056" / "edition.json"
    data = json.loads(path.read_text())
    data["programme"]["talks"][0]["start"] = float("nan")
    path.write_text(json.dumps(data))  # Python's json writes (and reads) NaN
    for command in (["talks"], ["reindex"]):
        result = run("--archive", sample_copy, *command)
        assert result.exit_code == 1  # type: ignore[attr-defined]
        err = result.stderr.strip()  # type: ignore[attr-defined]
        assert len(err.splitlines()) == 1 and str(path) in err and "'start'" in err, err


def test_a_feed_item_out_of_bounds_is_refused_and_the_others_go_on(
    http_server: object, mp3_clips: list[Path], own_archive: Path
) -> None:
    import json

    from tests.sitedata import Episode, serve_feed

    episodes = [
        Episode(1, "2026-01-14", "/audio/ep1.mp3"),
        Episode(2, "2026-02-11", "/audio/ep2.mp3", title="Data Bites #2: " + "x" * 400),
    ]
    feed = serve_feed(http_server, mp3_clips[:2], episodes)  # type: ignore[arg-type]
    result = run("ingest", feed, "--json")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    statuses = {r["item"]: r["status"] for r in json.loads(result.stdout)}  # type: ignore[attr-defined]
    assert statuses == {"feed:databites-1": "ingested", "feed:databites-2": "failed"}
    err = result.stderr  # type: ignore[attr-defined]
    assert "'title' is 415 characters long (at most 300)" in err
    assert "x" * 100 not in err  # the item's name is shortened where it is printed
    assert not (own_archive / "recordings" / "data-bites-002").exists()
