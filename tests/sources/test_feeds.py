"""Podcast feeds parsed into items: numbering, Atom as well as RSS, and what is refused."""

import tracemalloc

import pytest

from bitesearch.errors import BitesearchError
from bitesearch.sources.common import SourceOptions, edition_number, series_name
from bitesearch.sources.feeds import parse
from bitesearch.sources.listing import expand
from tests.conftest import run
from tests.httpserver import Route, Server
from tests.sitedata import BOMB, COMMENT, EXTERNAL, THREE, declaring, entity_bomb, feed_xml

URL = "https://databites.org/feed.xml"

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Data Bites podcast</title>
  <entry>
    <title>Episode 12: Data in the open</title>
    <id>tag:databites.org,2026:12</id>
    <updated>2026-05-13T18:00:00Z</updated>
    <summary>Talks on &lt;b&gt;open&lt;/b&gt; data.</summary>
    <link rel="alternate" href="https://databites.org/12"/>
    <link rel="enclosure" type="audio/mpeg" length="1" href="https://cdn.databites.org/12.mp3"/>
  </entry>
  <entry>
    <title>Announcement: no episode this month</title>
    <id>tag:databites.org,2026:news</id>
    <updated>2026-06-01T09:00:00Z</updated>
  </entry>
</feed>"""

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Data Bites</title>
<item><title>Summer special</title><itunes:episode>61</itunes:episode><guid>s</guid>
<enclosure url="https://cdn.databites.org/61.m4a" type="audio/x-m4a" length="1"/></item>
<item><title>Data Bites #60 - Health</title><guid>h</guid>
<enclosure url="file:///etc/passwd" type="audio/mpeg" length="1"/></item>
</channel></rss>"""


def test_atom() -> None:
    (item,) = parse(ATOM, "https://databites.org/feed.atom")  # the post without audio is no edition
    assert item.id == "feed:tag:databites.org,2026:12"
    assert item.location == "https://cdn.databites.org/12.mp3" and item.date == "2026-05-13"
    assert item.description == "Talks on open data." and item.link == "https://databites.org/12"
    assert item.programme is not None and item.programme.edition == 12
    assert item.programme.series == "Data Bites podcast"  # no '#' in the title: the feed's name


def test_the_feeds_own_numbering_and_a_refused_enclosure() -> None:
    special, health = parse(RSS, "https://databites.org/feed.xml")
    assert special.programme is not None and special.programme.edition == 61
    assert not special.error
    assert health.programme is not None and health.programme.edition == 60
    assert "only http and https" in health.error


@pytest.mark.parametrize(
    ("title", "number", "series"),
    [
        ("Data Bites #56: Open data", 56, "Data Bites"),
        ("Data Bites # 7", 7, "Data Bites"),
        ("Episode 56 - dashboards", 56, ""),
        ("Data Bites edition 12", 12, ""),
        ("Summer special", None, ""),
    ],
)
def test_numbers_and_series_from_titles(title: str, number: int | None, series: str) -> None:
    assert edition_number(title) == number and series_name(title) == series


@pytest.mark.parametrize("body", [BOMB, EXTERNAL], ids=["entity-expansion-bomb", "external"])
def test_entities_are_refused_not_expanded(body: bytes) -> None:
    with pytest.raises(BitesearchError, match="declares XML entities"):
        parse(body, "https://databites.org/feed.xml")


def test_not_a_feed() -> None:
    with pytest.raises(BitesearchError, match="not a feed"):
        parse(b"<html><body><p>Hello</p></html", "https://databites.org/")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(entity_bomb(), id="comment-with-dashes-before-the-doctype"),
        pytest.param(entity_bomb(encoding="utf-16"), id="utf-16-with-bom"),
        pytest.param(entity_bomb(encoding="utf-16-be"), id="utf-16-without-bom"),
        pytest.param(entity_bomb(encoding="utf-32"), id="utf-32"),
        pytest.param(declaring('<!ENTITY secret SYSTEM "file:///etc/passwd">'), id="external"),
        pytest.param(
            declaring('<!ENTITY % dtd SYSTEM "http://127.0.0.1:1/evil.dtd"> %dtd;'),
            id="parameter-entity",
        ),
        pytest.param(declaring('<!entity a "x">', "&a;"), id="lower-case"),
        pytest.param(declaring('<!ATTLIST rss version CDATA "2.0">'), id="internal-subset"),
        pytest.param(
            b'<?xml version="1.0"?><rss><channel><title>&a;</title>' + COMMENT.encode()
            + b'<!ENTITY a "x"></channel></rss>',
            id="anywhere",
        ),
    ],
)  # fmt: skip
def test_entities_are_refused_however_the_feed_is_written(body: bytes) -> None:
    """Whether or not the feed is well-formed, whatever its encoding: never a loose parse."""
    with pytest.raises(BitesearchError, match="declares XML entities"):
        parse(body, URL)


def test_a_40_kb_bomb_is_refused_without_building_anything_large() -> None:
    bomb = entity_bomb(value=10_000, references=10_000)  # was a 100 MB title
    assert 40_000 < len(bomb) < 41_000
    tracemalloc.start()
    try:
        with pytest.raises(BitesearchError, match="declares XML entities"):
            parse(bomb, URL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes to refuse a {len(bomb):,}-byte feed"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'<?xml version="1.0"?><rss><channel><title>\xc3\x28</title></channel></rss>', "utf-8"),
        (b'<?xml version="1.0" encoding="x-nowhere"?><rss/>', "encoding bitesearch cannot read"),
        (b'<?xml version="1.0" encoding="rot13"?><rss/>', "cannot be read as rot13"),
        ("<rss/>".encode("utf-16-le")[:-1], "cannot be read as utf-16-le"),
    ],
    ids=["undecodable", "unknown-encoding", "not-a-text-encoding", "odd-utf-16"],
)
def test_a_feed_that_cannot_be_checked_is_refused(body: bytes, why: str) -> None:
    with pytest.raises(BitesearchError, match=f"{why}.*refused"):
        parse(body, URL)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "iso-8859-1"])
def test_a_well_formed_feed_in_any_encoding_parses(encoding: str) -> None:
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0"><channel><title>Caf\u00e9 Data</title>'
        "<item><title>Data Bites #7: Cr\u00e8me</title><guid>7</guid>"
        '<enclosure url="https://cdn.databites.org/7.mp3" type="audio/mpeg"/></item>'
        "</channel></rss>"
    ).encode(encoding)
    (item,) = parse(body, URL)
    assert item.title == "Data Bites #7: Cr\u00e8me" and item.location.endswith("/7.mp3")
    assert item.programme is not None and item.programme.series == "Data Bites"
    assert not item.warnings


def test_a_feed_that_is_not_well_formed_but_declares_nothing_still_parses() -> None:
    """feedparser's loose parser still reads the sloppy feeds podcast hosts write."""
    body = (
        f'<?xml version="1.0"?>\n{COMMENT}\n<rss version="2.0"><channel><title>Q&A night</title>'
        "<item><title>Data Bites #8: Maps & more<br></title><guid>8</guid>"
        '<enclosure url="https://cdn.databites.org/8.mp3" type="audio/mpeg"/></item>'
        "</channel></rss>"
    ).encode()
    (item,) = parse(body, URL)
    assert item.title.startswith("Data Bites #8: Maps") and item.programme is not None
    assert item.programme.edition == 8 and not item.warnings


FEED = feed_xml(Server("127.0.0.1", 8000), THREE)


def test_a_feed_cut_off_after_some_items_keeps_them_with_a_warning() -> None:
    cut = FEED[: FEED.rindex(b"<item>") + 30]  # the last item is half there
    items = parse(cut, URL)
    assert [i.title for i in items] == ["Data Bites #3: Edition 3", "Data Bites #2: Edition 2"]
    for item in items:
        (warning,) = item.warnings
        assert warning.startswith(f"{URL}: the feed looks truncated")
        assert "</rss>" in warning and "the 2 items before the cut" in warning


def test_a_feed_cut_off_before_any_item_is_refused() -> None:
    with pytest.raises(BitesearchError, match=f"{URL}: the feed looks truncated.*refused"):
        parse(FEED[: FEED.index(b"<item>") + 10], URL)


def test_listing_a_truncated_feed_carries_the_warning(http_server: Server) -> None:
    """The XML ends early and the server says nothing wrong (no Content-Length to miss)."""
    whole = feed_xml(http_server, THREE)
    cut = whole[: whole.rindex(b"<enclosure")]  # the last item has no audio yet
    http_server.routes["/feed.xml"] = Route(cut, "application/rss+xml")
    items = expand(http_server.url("/feed.xml"), SourceOptions())
    assert len(items) == 2 and all("looks truncated" in i.warnings[0] for i in items)


def test_a_truncated_feed_is_said_by_ingest(http_server: Server) -> None:
    """The listing's warning reaches the user: a dry run prints it under the table."""
    whole = feed_xml(http_server, THREE)
    http_server.routes["/feed.xml"] = Route(
        whole[: whole.rindex(b"<enclosure")], "application/rss+xml"
    )
    result = run("ingest", http_server.url("/feed.xml"), "--dry-run")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    warnings = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert warnings and all(w.startswith("Warning: http://") for w in warnings), warnings
    assert "the feed looks truncated" in warnings[0]
