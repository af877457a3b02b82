"""Podcast feeds parsed into items: numbering, Atom as well as RSS, and what is refused."""

import pytest

from bitesearch.errors import BitesearchError
from bitesearch.sources.common import edition_number, series_name
from bitesearch.sources.feeds import parse
from tests.sitedata import BOMB, EXTERNAL

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
