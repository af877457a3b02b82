"""An edition's write-up page (HTML) read as its programme: who spoke, from where, on what.

Data Bites posts give each talk a heading or paragraph "Speaker Name: Talk title" (or "Speaker
A and Speaker B: Talk title"), with the speakers' roles and organisations in the text below.
The page's title names the edition ("Data Bites #56: ..."), and a link, embed or player on the
page is its recording. Only http(s) links are followed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from bitesearch.errors import BitesearchError
from bitesearch.models import Programme, ProgrammeTalk
from bitesearch.sources.common import (
    APOSTROPHES,
    NAME,
    edition_number,
    is_platform,
    parse_talk_line,
    series_name,
)
from bitesearch.sources.fetch import FetchOptions, check_url, fetch_bytes

_ORG = re.compile(
    r"\b(?:at|from|with|of)\s+(?:the\s+)?"
    rf"((?:[A-Z][\w&{APOSTROPHES}.-]*)(?:\s+(?:[A-Z][\w&{APOSTROPHES}.-]*|of|and|for|&))*)"
)
_HOST = re.compile(rf"\b(?:[Hh]osted by|[Hh]ost(?:ed)?:|[Cc]haired by)\s+({NAME})")
_TALK_TAGS = ["h2", "h3", "h4", "h5", "h6", "p", "li"]
_MEDIA = (".mp3", ".m4a", ".ogg", ".opus", ".wav", ".mp4", ".webm")


def fetch_programme(url: str, options: FetchOptions) -> tuple[Programme, str]:
    """The programme on the page at url, and its recording link ('' when it has none)."""
    body, final = fetch_bytes(check_url(url), options)
    return parse_page(body.decode("utf-8", errors="replace"), final)


def parse_page(html: str, base: str) -> tuple[Programme, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = _title(soup)
    talks = _talks(soup)
    if not talks:
        raise BitesearchError(
            f"{base}: no talks found (expected headings or paragraphs like 'Name: Talk title')"
        )
    recording = _recording(soup, base)
    host = _HOST.search(soup.get_text(" "))
    programme = Programme(
        series=series_name(title),
        edition=edition_number(title),
        title=title,
        date=_date(soup),
        host=host.group(1) if host else "",
        recording=recording,
        talks=talks,
    )
    return programme, recording


def _title(soup: Any) -> str:
    meta = soup.find("meta", attrs={"property": "og:title"})
    for text in (
        soup.h1.get_text(" ") if soup.h1 else "",
        meta.get("content", "") if meta else "",
        soup.title.get_text(" ") if soup.title else "",
    ):
        if text.strip():
            return re.sub(r"\s+", " ", text).strip()
    return ""


def _talks(soup: Any) -> list[ProgrammeTalk]:
    talks = []
    for element in soup.find_all(_TALK_TAGS):
        if element.name in ("p", "li") and element.find(_TALK_TAGS):
            continue  # a wrapper: its own children are visited
        parsed = parse_talk_line(element.get_text(" "))
        if parsed:
            speakers, title = parsed
            talks.append(ProgrammeTalk(speakers, title, _affiliations(speakers, _below(element))))
    return talks


def _below(element: Any) -> str:
    """The text after a talk's line, up to the next talk or heading."""
    parts = []
    for sibling in element.find_next_siblings():
        text = sibling.get_text(" ")
        if sibling.name in ("h1", "h2", "h3", "h4", "h5", "h6") or parse_talk_line(text):
            break
        parts.append(text)
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _affiliations(speakers: list[str], text: str) -> list[str]:
    """Each speaker's organisation, from the sentence that names them ('... at Org.')."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    found = []
    for speaker in speakers:
        first = speaker.split()[0]
        mine = [s for s in sentences if speaker in s or re.search(rf"\b{re.escape(first)}\b", s)]
        found.append(next((org for s in mine + sentences if (org := _organisation(s))), ""))
    if all(found):
        return found
    named = [f for f in found if f]
    return [named[0]] * len(speakers) if len(set(named)) == 1 else []


def _organisation(sentence: str) -> str:
    if match := re.search(r"\(([^()]*),\s*([^(),]+)\)", sentence):  # (Role, Organisation)
        return match.group(2).strip()
    match = _ORG.search(sentence)
    return match.group(1).strip().rstrip(".") if match else ""


def _date(soup: Any) -> str:
    candidates = [t.get("datetime", "") for t in soup.find_all("time")]
    for key in ("article:published_time", "date", "og:published_time"):
        meta = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
        candidates.append(meta.get("content", "") if meta else "")
    for value in candidates:
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            continue
    return ""


def _recording(soup: Any, base: str) -> str:
    """The page's recording: a YouTube or SoundCloud link or embed, or an audio or video file."""
    links = [urljoin(base, a.get("href", "")) for a in soup.find_all("a")]
    players = [urljoin(base, t.get("src", "")) for t in soup.find_all(["audio", "video", "source"])]
    embeds = [_from_embed(urljoin(base, f.get("src", ""))) for f in soup.find_all("iframe")]
    for url in embeds + [u for u in links if is_platform(u)] + players + links:
        if url and _is_http(url) and (is_platform(url) or url.lower().endswith(_MEDIA)):
            return url
    return ""


def _from_embed(src: str) -> str:
    parts = urlsplit(src)
    match = re.match(r"^/embed/([\w-]{6,})", parts.path)
    if match and "youtube" in (parts.hostname or ""):
        return f"https://www.youtube.com/watch?v={match.group(1)}"
    if (parts.hostname or "").endswith("soundcloud.com") and "url" in parse_qs(parts.query):
        return parse_qs(parts.query)["url"][0]
    return src


def _is_http(url: str) -> bool:
    try:
        check_url(url)
    except BitesearchError:
        return False
    return True
