"""Podcast feeds (RSS or Atom): every item with an audio enclosure is an edition.

feedparser parses the feed through defusedxml's expat reader, so a feed that declares entities
(the "billion laughs" bomb) or reaches for external ones is refused, never expanded. feedparser
is only ever handed bytes, so it fetches nothing itself.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from typing import Any

from bitesearch.errors import BitesearchError
from bitesearch.models import Programme
from bitesearch.sources.common import Item, edition_number, series_name
from bitesearch.sources.fetch import check_url

AUDIO_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4", ".webm")


def looks_like_feed(head: bytes, content_type: str) -> bool:
    if any(kind in content_type for kind in ("rss", "atom", "xml")):
        return True
    start = head.lstrip()[:200].lower()
    return start.startswith(b"<?xml") or start.startswith(b"<rss") or b"<feed" in start


def parse(data: bytes, url: str) -> list[Item]:
    """The feed's items, newest first as the feed lists them; refused ones carry an error."""
    import feedparser
    from defusedxml import DefusedXmlException

    feedparser.api.PREFERRED_XML_PARSERS = ["defusedxml.expatreader"]
    try:
        _refuse_entities(data)
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=True)
    except DefusedXmlException as exc:
        raise BitesearchError(
            f"{url}: the feed declares XML entities ({exc.__class__.__name__}); refused"
        ) from None
    if not parsed.entries and parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        raise BitesearchError(f"{url} is not a feed bitesearch can read ({reason})")
    channel = parsed.feed.get("title", "")
    return [item for entry in parsed.entries if (item := _item(entry, channel))]


def _refuse_entities(data: bytes) -> None:
    """Raise defusedxml's error for entity declarations or external references, whichever
    parser feedparser would fall back to; a merely malformed feed is left to its loose parser."""
    from xml.etree.ElementTree import ParseError

    from defusedxml.ElementTree import fromstring

    with contextlib.suppress(ParseError):
        fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)


def _item(entry: Any, channel: str) -> Item | None:
    enclosure = _enclosure(entry)
    if enclosure is None:
        return None  # a post without audio is not an edition
    title = entry.get("title", "").strip()
    number = edition_number(title) or _int(entry.get("itunes_episode"))
    item = Item(
        id=f"feed:{entry.get('id') or enclosure}",
        kind="url",
        location=enclosure,
        title=title,
        date=_date(entry),
        description=_text(entry.get("summary", "")),
        link=entry.get("link", ""),
        programme=Programme(
            series=series_name(title) or channel,
            edition=number,
            title=title,
            date=_date(entry),
            recording=enclosure,
        ),
    )
    try:
        check_url(enclosure)
    except BitesearchError as exc:
        item.error = str(exc)
    return item


def _enclosure(entry: Any) -> str | None:
    for link in entry.get("enclosures", []):
        href, kind = link.get("href", ""), link.get("type", "")
        if kind.startswith(("audio/", "video/")) or href.lower().endswith(AUDIO_SUFFIXES):
            return str(href)
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _date(entry: Any) -> str:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return time.strftime("%Y-%m-%d", parsed) if parsed else ""


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
