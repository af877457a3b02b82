"""yt-dlp as a library, on pages and media served from 127.0.0.1 (its generic extractor).

YouTube and SoundCloud themselves cannot be reached from the tests (conftest's no_internet
fails any connection off this machine); what bitesearch does with their info is tested on the
shape of info yt-dlp returns (`_item` below), and their deep links in test_search.
"""

import json
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError
from bitesearch.search.query import deep_link
from bitesearch.sources.common import is_platform
from bitesearch.sources.fetch import FetchOptions
from bitesearch.sources.platforms import _item, items, refuse_live
from tests.conftest import run
from tests.httpserver import Route, Server

CAPTIONS = """WEBVTT

00:00:00.500 --> 00:00:05.000
Welcome to Data Bites, the monthly evening of public sector data.

00:00:05.000 --> 00:00:11.000
Tonight we have talks on open data, dashboards and artificial intelligence.
"""


def video_page(*sources: str, title: str = "Data Bites #60: Live from Liverpool") -> bytes:
    players = "".join(
        f'<video controls src="{src}"><track kind="captions" src="/captions.vtt" srclang="en">'
        "</video>"
        for src in sources
    )
    return f"<html><head><title>{title}</title></head><body>{players}</body></html>".encode()


@pytest.fixture
def site(http_server: Server, mp3_clips: list[Path]) -> Server:
    for n, clip in enumerate(mp3_clips, start=1):
        http_server.routes[f"/audio/ep{n}.mp3"] = Route(clip.read_bytes(), "audio/mpeg")
    http_server.routes["/captions.vtt"] = Route(CAPTIONS.encode(), "text/vtt")
    http_server.routes["/live"] = Route(video_page("/audio/ep1.mp3"), "text/html")
    return http_server


def test_a_page_with_a_video_through_yt_dlp_using_its_captions(
    site: Server, own_archive: Path
) -> None:
    url = site.url("/live")
    result = run("ingest", url, "--captions", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["status"] == "ingested" and report["edition"] == 60
    assert report["item"].startswith("html5mediaembed:")
    edition = Archive(own_archive).load_edition(report["edition_id"])
    assert edition is not None
    assert edition.programme.recording == url and edition.source.title.startswith("Data Bites #60")
    transcript = Archive(own_archive).load_transcript(report["edition_id"])
    assert transcript is not None and transcript.engine == "captions:vtt"  # not transcribed
    hits = json.loads(run("query", "dashboards", "--json").stdout)
    assert hits[0]["source"].startswith(url + "#t=")

    site.log.clear()
    (again,) = json.loads(run("ingest", url, "--captions", "--json").stdout)
    assert again["status"] == "up to date"
    assert not [r for r in site.log if r.path.startswith("/audio/")]  # listed, not downloaded


def test_a_playlist_with_limit(site: Server, own_archive: Path) -> None:
    site.routes["/playlist"] = Route(video_page("/audio/ep2.mp3", "/audio/ep3.mp3"), "text/html")
    result = run("ingest", site.url("/playlist"), "--limit", "1", "--json", "--beam-size", "1")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["status"] == "ingested" and report["talks"] == 1
    assert [r.path for r in site.log if r.path.startswith("/audio/")] == ["/audio/ep2.mp3"]


def test_a_media_file_through_the_generic_extractor(site: Server) -> None:
    (item,) = items(site.url("/audio/ep2.mp3"), FetchOptions())
    assert item.id == "generic:ep2" and item.kind == "media" and item.info is not None


def test_platform_info_becomes_an_item_with_chapters_as_talks() -> None:
    info = {
        "id": "dQw4w9WgXcQ",
        "extractor_key": "Youtube",
        "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "title": "Data Bites #57: Health data",
        "upload_date": "20261111",
        "description": "Our November edition.",
        "chapters": [
            {"start_time": 0.0, "end_time": 65.0, "title": "Welcome"},
            {"start_time": 65.0, "end_time": 600.0, "title": "Sam Milsom: Open data"},
            {
                "start_time": 600.0,
                "end_time": 1200.0,
                "title": "Priya Shah and Tom Baker: Dashboards",
            },
        ],
    }
    item = _item(info, info)
    assert item.id == "youtube:dQw4w9WgXcQ" and item.date == "2026-11-11"
    assert item.programme is not None and item.programme.edition == 57
    assert [t.speakers for t in item.programme.talks] == [
        ["Sam Milsom"],
        ["Priya Shah", "Tom Baker"],
    ]
    assert item.programme.talks[1].start == 600.0 and item.programme.talks[1].end == 1200.0
    assert len(item.chapters) == 3


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=abc", "https://www.youtube.com/watch?v=abc&t=123"),
        ("https://youtu.be/abc", "https://youtu.be/abc?t=123"),
        ("https://soundcloud.com/databites/56", "https://soundcloud.com/databites/56#t=2:03"),
    ],
)
def test_platforms_and_their_deep_links(url: str, expected: str) -> None:
    assert is_platform(url)
    assert deep_link(url, 123.4) == expected


def test_only_http_and_https_reach_yt_dlp(own_archive: Path) -> None:
    result = run("ingest", "file:///etc/passwd")
    assert result.exit_code == 1 and "only http and https" in result.stderr


def test_a_live_stream_is_refused_not_handed_to_ffmpeg() -> None:
    """yt-dlp gives live streams to an ffmpeg subprocess, whose connections no guard sees."""
    url = "https://www.youtube.com/watch?v=live"
    with pytest.raises(BitesearchError, match="is a live stream"):
        refuse_live({"is_live": True, "webpage_url": url})
    assert refuse_live({"is_live": False, "webpage_url": url}) is None
