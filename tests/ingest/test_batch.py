"""Ingest from the web: media URLs and podcast feeds served by a real server on 127.0.0.1.

Incremental: a second run of a feed downloads and transcribes nothing; a new item in the feed
is the only one ingested. One bad item is reported and skipped; the others go on.
"""

import hashlib
import json
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError
from bitesearch.sources.fetch import FetchOptions, download
from tests.conftest import run, snapshot
from tests.httpserver import Route, Server
from tests.sitedata import BOMB, EXTERNAL, THREE, Episode, serve_feed


def ingest_json(*args: str | Path, code: int = 0) -> list[dict]:
    result = run("ingest", *args, "--json", "--beam-size", "1")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def audio_requests(server: Server) -> list[str]:
    return [r.path for r in server.log if r.path.startswith("/audio/")]


def test_a_feed_twice_then_with_a_new_item(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    feed = serve_feed(http_server, mp3_clips[:3], THREE)
    first = ingest_json(feed)
    assert [r["status"] for r in first] == ["ingested"] * 3
    assert [r["edition_id"] for r in first] == [
        "data-bites-003",
        "data-bites-002",
        "data-bites-001",
    ]
    assert sorted(audio_requests(http_server)) == [
        "/audio/ep1.mp3",
        "/audio/ep2.mp3",
        "/audio/ep3.mp3",
    ]

    edition = Archive(own_archive).load_edition("data-bites-002")
    assert edition is not None
    assert edition.source.item == "feed:databites-2"
    assert edition.source.url == http_server.url("/audio/ep2.mp3")
    assert edition.source.title == "Data Bites #2: Edition 2"
    assert edition.source.date == edition.programme.date == "2026-02-11"
    assert edition.source.description == "Four talks on public-sector data."
    assert edition.programme.recording == http_server.url("/audio/ep2.mp3")
    assert not list((own_archive / "downloads").iterdir())  # moved into the edition folders

    before = snapshot(own_archive)
    http_server.log.clear()
    second = ingest_json(feed)
    assert [r["status"] for r in second] == ["up to date"] * 3
    assert audio_requests(http_server) == []  # nothing downloaded again
    assert snapshot(own_archive) == before

    serve_feed(http_server, mp3_clips, [*THREE, Episode(4, "2026-04-08", "/audio/ep4.mp3")])
    third = ingest_json(feed)
    assert [r["status"] for r in third] == ["ingested", "up to date", "up to date", "up to date"]
    assert audio_requests(http_server) == ["/audio/ep4.mp3"]

    transcript = Archive(own_archive).load_transcript("data-bites-004")
    assert transcript is not None
    word = max(transcript.segments[0].text.split(), key=len).strip(".,")
    hits = json.loads(run("query", word, "--json", "--edition", "4").stdout)
    assert hits and hits[0]["source"].startswith(http_server.url("/audio/ep4.mp3") + "#t=")


def test_dry_run_since_and_limit(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    feed = serve_feed(http_server, mp3_clips, THREE)
    rows = ingest_json(feed, "--dry-run")
    assert [(r["edition"], r["status"]) for r in rows] == [(3, "would ingest"), (2, "would ingest"),
                                                           (1, "would ingest")]  # fmt: skip
    rows = ingest_json(feed, "--dry-run", "--since", "2026-02-01")
    assert [r["edition"] for r in rows] == [3, 2]
    rows = ingest_json(feed, "--dry-run", "--since", "2026-02-01", "--limit", "1")
    assert [r["edition"] for r in rows] == [3]
    assert audio_requests(http_server) == [] and not own_archive.exists()
    table = run("ingest", feed, "--dry-run", "--limit", "2").stdout
    assert "Would ingest" in table and "would ingest" in table and "Data Bites #3" in table

    ingest_json(feed, "--limit", "1")
    rows = ingest_json(feed, "--dry-run")
    assert [r["status"] for r in rows] == ["up to date", "would ingest", "would ingest"]


def test_one_bad_item_is_reported_and_the_others_go_on(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    http_server.routes["/audio/corrupt.mp3"] = Route(b"ID3 this is not audio" * 50, "audio/mpeg")
    episodes = [
        THREE[0],
        Episode(2, "2026-02-11", "/audio/missing.mp3"),
        Episode(3, "2026-03-11", "/audio/corrupt.mp3"),
        Episode(4, "2026-04-08", "", url="file:///etc/passwd"),
    ]
    feed = serve_feed(http_server, mp3_clips[:1], episodes)
    result = run("ingest", feed, "--quiet")
    assert result.exit_code == 1
    assert "data-bites-001" in result.stdout and result.stdout.count("failed") == 3
    assert "HTTP 404" in result.stderr
    assert "does not decode" in result.stderr
    assert "only http and https" in result.stderr
    assert [e.id for e in Archive(own_archive).editions()] == ["data-bites-001"]
    assert not any((own_archive / "downloads").iterdir())  # the corrupt download is gone


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(BOMB, "declares XML entities", id="entity-expansion-bomb"),
        pytest.param(EXTERNAL, "declares XML entities", id="external-entity"),
    ],
)
def test_hostile_feeds_are_refused(
    http_server: Server, sample_copy: Path, body: bytes, message: str
) -> None:
    http_server.routes["/feed.xml"] = Route(body, "application/rss+xml")
    before = snapshot(sample_copy)
    result = run("ingest", http_server.url("/feed.xml"))
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(sample_copy) == before


def test_a_media_url_resumes_after_a_drop_and_is_not_fetched_again(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    body = mp3_clips[0].read_bytes()
    http_server.routes["/talk.mp3"] = Route(body, "audio/mpeg", drop_after=len(body) // 3)
    url = http_server.url("/talk.mp3")
    (report,) = ingest_json(url)
    assert report["status"] == "ingested" and report["item"] == f"url:{url}"
    first, second = http_server.requests("/talk.mp3")
    assert second.range == f"bytes={len(body) // 3}-" and first.sent + second.sent == len(body)
    edition = Archive(own_archive).load_edition(report["edition_id"])
    assert edition is not None and edition.source.name == url
    assert (own_archive / "recordings" / report["edition_id"] / "source.mp3").read_bytes() == body

    (again,) = ingest_json(url)
    assert again["status"] == "up to date" and len(http_server.requests("/talk.mp3")) == 2


def test_a_500_that_recovers_and_a_size_cap(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    http_server.routes["/flaky.mp3"] = Route(mp3_clips[1].read_bytes(), "audio/mpeg", fail=1)
    (report,) = ingest_json(http_server.url("/flaky.mp3"))
    assert report["status"] == "ingested" and len(http_server.requests("/flaky.mp3")) == 2

    http_server.routes["/big.mp3"] = Route(mp3_clips[2].read_bytes(), "audio/mpeg")
    result = run("ingest", http_server.url("/big.mp3"), "--max-size", "10kB")
    assert result.exit_code == 1 and "cap" in result.stderr
    assert len(Archive(own_archive).editions()) == 1


def test_titles_never_make_file_names(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    episode = Episode(5, "2026-01-14", "/audio/x.mp3", title="../../../etc/passwd: evil/..\\name")
    episode.number = 0
    feed = serve_feed(http_server, mp3_clips, [episode])
    (report,) = ingest_json(feed)
    folder = own_archive / "recordings" / report["edition_id"]
    assert folder.parent == own_archive / "recordings" and folder.is_dir()
    assert "/" not in report["edition_id"] and ".." not in report["edition_id"]


def test_a_download_cut_short_in_one_run_is_resumed_by_the_next(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    body = mp3_clips[2].read_bytes()
    http_server.routes["/late.mp3"] = Route(body, "audio/mpeg", drop_after=len(body) // 2)
    url = http_server.url("/late.mp3")
    stem = hashlib.sha256(f"url:{url}".encode()).hexdigest()[:16]
    part = Archive(own_archive).downloads / f"{stem}.mp3"
    with pytest.raises(BitesearchError):  # the run that was cut short (no retries left)
        download(url, part, FetchOptions(retries=0))
    assert part.with_name(part.name + ".part").stat().st_size == len(body) // 2

    (report,) = ingest_json(url)
    assert report["status"] == "ingested"
    assert http_server.requests("/late.mp3")[-1].range == f"bytes={len(body) // 2}-"
    assert http_server.requests("/late.mp3")[-1].sent == len(body) - len(body) // 2


def test_a_local_copy_of_a_feed_item_keeps_its_id(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    feed = serve_feed(http_server, mp3_clips[:1], THREE[:1])
    ingest_json(feed)
    ingest_json(mp3_clips[0])  # the same audio from disk: the same edition
    edition = Archive(own_archive).load_edition("data-bites-001")
    assert edition is not None and edition.source.item == "feed:databites-1"
    assert edition.source.url == http_server.url("/audio/ep1.mp3")
    http_server.log.clear()
    assert [r["status"] for r in ingest_json(feed)] == ["up to date"]
    assert audio_requests(http_server) == []


def test_one_edition_options_with_a_whole_feed(
    http_server: Server, mp3_clips: list[Path], own_archive: Path, tmp_path: Path
) -> None:
    feed = serve_feed(http_server, mp3_clips[:3], THREE)
    programme = tmp_path / "p.toml"
    programme.write_text('series = "Data Bites"\nedition = 9\n')
    result = run("ingest", feed, "--programme", programme)
    assert result.exit_code == 2 and "--limit 1" in result.stderr
    assert not own_archive.exists()


def test_killed_before_the_download_moved_in_nothing_is_fetched_again(
    http_server: Server, mp3_clips: list[Path], own_archive: Path
) -> None:
    feed = serve_feed(http_server, mp3_clips[:1], THREE[:1])
    ingest_json(feed)
    folder = own_archive / "recordings" / "data-bites-001"
    stem = hashlib.sha256(b"feed:databites-1").hexdigest()[:16]
    (folder / "source.mp3").rename(own_archive / "downloads" / f"{stem}.mp3")  # as a kill left it
    for name in ("transcript.json", "talks.json"):
        (folder / name).unlink()
    http_server.log.clear()
    (report,) = ingest_json(feed)
    assert report["status"] == "updated" and audio_requests(http_server) == []
    assert (folder / "source.mp3").read_bytes() == mp3_clips[0].read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "give a SOURCE", id="nothing-to-ingest"),
        pytest.param(["x.mp3", "--since", "last week"], "YYYY-MM-DD", id="since"),
        pytest.param(["x.mp3", "--limit", "0"], "--limit", id="limit"),
        pytest.param(["x.mp3", "--max-size", "huge"], "not a size", id="max-size"),
        pytest.param(["a.mp3", "b.mp3", "--transcript", "t.vtt"], "one SOURCE", id="transcript"),
    ],
)
def test_bad_options(own_archive: Path, args: list[str], message: str) -> None:
    result = run("ingest", *args)
    assert result.exit_code != 0 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not own_archive.exists()
