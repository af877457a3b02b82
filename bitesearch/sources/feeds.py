"""Podcast feeds (RSS or Atom): every item with an audio enclosure is an edition.

A feed that declares entities (the "billion laughs" bomb, or one long entity referenced many
times) or reaches for external ones is refused, never expanded: its raw text, decoded as its
byte order mark or XML declaration says (UTF-16 and UTF-32 too), is searched for `<!ENTITY`
and for a DOCTYPE with an internal subset, whether or not the document is well-formed, and a
feed that cannot be decoded for that check is refused as well. feedparser then reads exactly
the text checked (as UTF-8), through defusedxml's expat reader, falling back to its loose
parser only for a feed that declares nothing. It is only ever handed bytes, so it fetches
nothing itself. A feed cut off before its end is refused when no item survives, and its items
carry a warning when some do.
"""

from __future__ import annotations

import codecs
import io
import re
import time
from typing import Any

from bitesearch.errors import BitesearchError
from bitesearch.models import Programme
from bitesearch.sources.common import Item, edition_number, series_name
from bitesearch.sources.fetch import FetchOptions, check_url
from bitesearch.sources.network import url_refusal

AUDIO_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4", ".webm")


def looks_like_feed(head: bytes, content_type: str) -> bool:
    if any(kind in content_type for kind in ("rss", "atom", "xml")):
        return True
    start = head.lstrip()[:200].lower()
    return start.startswith(b"<?xml") or start.startswith(b"<rss") or b"<feed" in start


def parse(data: bytes, url: str, options: FetchOptions | None = None) -> list[Item]:
    """The feed's items, newest first as the feed lists them; refused ones carry an error (an
    enclosure that is not http(s), or on an address options do not allow)."""
    text = _refuse_entities(data, url)
    import feedparser
    from defusedxml import DefusedXmlException

    feedparser.api.PREFERRED_XML_PARSERS = ["defusedxml.expatreader"]
    try:
        parsed = feedparser.parse(
            io.BytesIO(_as_utf8(text, url)), sanitize_html=True, resolve_relative_uris=True
        )
    except DefusedXmlException as exc:  # the raw check above should have caught it first
        raise BitesearchError(
            f"{url}: the feed declares XML entities ({exc.__class__.__name__}); refused"
        ) from None
    channel = parsed.feed.get("title", "")
    items = [item for entry in parsed.entries if (item := _item(entry, channel))]
    warning = _truncation(parsed, text, url, len(items))
    if not parsed.entries and parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        raise BitesearchError(f"{url} is not a feed bitesearch can read ({reason})")
    _refuse_addresses(items, options or FetchOptions())
    for item in items:
        item.warnings = [warning] if warning else []
    return items


# a DTD internal subset: '<!DOCTYPE rss [' (bounded, so no input makes the search quadratic)
_SUBSET = re.compile(r"<!\s*DOCTYPE\b[^\[>]{0,1000}\[", re.IGNORECASE)
_ENTITY = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16's, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# a '<' in UTF-32 or UTF-16 without a byte order mark (XML 1.0, appendix F)
_WIDE = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_DECLARED = re.compile(
    rb"^\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*[\"']([A-Za-z][\w.:-]{0,40})[\"']"
)
_DECLARATION = re.compile(r"^(\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*)([\"'])[^\"']*\2")


def _refuse_entities(data: bytes, url: str) -> str:
    """The feed's text, once it is known to declare no entities and no DTD internal subset.
    Refused too when the text cannot be decoded to be searched: never left to a loose parser."""
    encoding, start = _encoding(data, url)
    try:
        text = data[start:].decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise BitesearchError(
            f"{url}: the feed cannot be read as {encoding} ({exc}); refused"
        ) from None
    if _ENTITY.search(text) or _SUBSET.search(text):
        raise BitesearchError(
            f"{url}: the feed declares XML entities (or a DTD internal subset); refused"
        )
    return text


def _encoding(data: bytes, url: str) -> tuple[str, int]:
    """The codec the feed's bytes are in, and where its text starts (after a byte order mark)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    for start, name in _WIDE:
        if data.startswith(start):
            return name, 0
    match = _DECLARED.match(data)
    if not match:
        return "utf-8", 0  # XML's default
    name = match.group(1).decode("ascii")
    try:
        codecs.lookup(name)
    except LookupError:
        raise BitesearchError(
            f"{url}: the feed is in an encoding bitesearch cannot read ({name!r}); refused"
        ) from None
    return name, 0


def _as_utf8(text: str, url: str) -> bytes:
    """The checked text as UTF-8, its XML declaration saying so, for feedparser to read as is."""
    try:
        return _DECLARATION.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BitesearchError(f"{url}: the feed cannot be read ({exc}); refused") from None


def _truncation(parsed: Any, text: str, url: str, items: int) -> str:
    """A warning when a feed that is not well-formed ends before its root element closes (cut
    off in transfer); refused when no item was read before the cut."""
    if not parsed.get("bozo") or not (root := _unclosed_root(text)):
        return ""
    said = f"{url}: the feed looks truncated (it ends before its closing </{root}>)"
    if not items:
        raise BitesearchError(f"{said}; refused")
    return f"{said}; only the {items} items before the cut were read"


def _unclosed_root(text: str) -> str:
    """The feed's root element (rss, feed, rdf:RDF) when the text ends before it closes; else
    '' (for a closed one, and for a document that is no feed at all)."""
    text = re.sub(r"<!--.*?(?:-->|$)", "", text, flags=re.DOTALL)
    root = re.search(r"<([A-Za-z_][\w:.-]*)", text)
    if not root or root.group(1).split(":")[-1] not in ("rss", "feed", "RDF"):
        return ""
    closed = re.search(rf"</\s*{re.escape(root.group(1))}\s*>$", text.rstrip()[-200:])
    return "" if closed else root.group(1)


def _refuse_addresses(items: list[Item], options: FetchOptions) -> None:
    """An error on each item whose enclosure is on an address options do not allow."""
    known: dict[tuple[str, int], str] = {}
    for item in items:
        item.error = item.error or url_refusal(item.location, options, known)


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
