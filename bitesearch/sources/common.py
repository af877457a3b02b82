"""What every source shares: the Item a SOURCE lists, the options, and what titles and
chapter names say (edition numbers, series, "Speaker: Title" lines, platform hosts)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bitesearch.models import Programme

DEFAULT_MAX_BYTES = 2 * 10**9  # 2 GB: a three-hour video is well under it


@dataclass(frozen=True)
class FetchOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 4  # further attempts after the first
    backoff: float = 0.5  # seconds before the first retry, doubled for each one after
    timeout: float = 30.0  # seconds without a byte before an attempt counts as failed
    max_redirects: int = 5
    # True lets requests reach loopback, private and link-local addresses (refused by default)
    allow_private_network: bool = False


MEDIA_SUFFIXES = (
    ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4", ".m4v", ".webm",
    ".mkv", ".mov",
)  # fmt: skip
_NUMBER = (
    re.compile(r"#\s*(\d{1,5})\b"),
    re.compile(r"\b(?:episode|edition|ep\.?|no\.?)\s*(\d{1,5})\b", re.IGNORECASE),
)
PLATFORMS = ("youtube.com", "youtu.be", "soundcloud.com")
APOSTROPHES = "'\u2019"  # ' and the typographic apostrophe
DASHES = "\u2013\u2014"  # en and em dash
WORD = rf"[A-Z](?:[\w{APOSTROPHES}-]+|\.)"  # a capitalised word or an initial ("J.")
NAME = rf"{WORD}(?:\s+(?:{WORD}|de|van|der|von|da|al|bin|le))*"
SPEAKERS = re.compile(
    rf"^\s*({NAME}(?:\s*(?:,|&|\band\b)\s*{NAME})*)\s*[:{DASHES}-]\s+(\S.{{2,}})$"
)


@dataclass
class Item:
    """One recording a source names: where to get it and what is known about it."""

    id: str  # stable: "feed:<guid>", "youtube:<id>", "url:<url>"; "" for a local file
    kind: str  # "file", "url" (a media file over http) or "media" (through yt-dlp)
    location: str  # a local path, or the URL to fetch or hand to yt-dlp
    title: str = ""
    date: str = ""  # YYYY-MM-DD
    description: str = ""
    link: str = ""  # the public page (or file) a hit links to
    chapters: list[dict[str, Any]] = field(default_factory=list)
    programme: Programme | None = None
    info: dict[str, Any] | None = None  # yt-dlp's full info, when the listing already has it
    error: str = ""  # refused while listing (e.g. a file:// enclosure): reported, not ingested
    warnings: list[str] = field(default_factory=list)  # e.g. its feed looks cut off: to print


@dataclass(frozen=True)
class SourceOptions:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    since: dt.date | None = None
    limit: int | None = None
    captions: bool = False  # use captions yt-dlp finds instead of transcribing
    transcript: Path | None = None  # a transcript file beside one recording
    programme: Programme | None = None  # from --page: the edition's programme
    dry_run: bool = False


def bound(items: list[Item], since: dt.date | None, limit: int | None) -> list[Item]:
    """Items dated on or after since (undated ones stay), then the first limit of them."""
    if since is not None:
        items = [i for i in items if not i.date or i.date >= since.isoformat()]
    return items[:limit] if limit is not None else items


def edition_number(title: str) -> int | None:
    """56 from 'Data Bites #56: ...' or 'Episode 56'; None when the title names none."""
    for pattern in _NUMBER:
        if match := pattern.search(title):
            return int(match.group(1))
    return None


def series_name(title: str) -> str:
    """'Data Bites' from 'Data Bites #56: ...'; '' when the title has no '#'."""
    match = re.match(r"^\s*(.+?)\s*#\s*\d", title)
    return match.group(1).strip(" -:|") if match else ""


def parse_talk_line(text: str) -> tuple[list[str], str] | None:
    """(['Priya Shah', 'Tom Baker'], 'Dashboards') from 'Priya Shah and Tom Baker: Dashboards'."""
    text = re.sub(r"\s+", " ", text).strip()
    match = SPEAKERS.match(text)
    if not match or len(text) > 200:
        return None
    names = [n.strip() for n in re.split(r"\s*(?:,|&|\band\b)\s*", match.group(1)) if n.strip()]
    if not names or any(len(n.split()) < 2 or len(n.split()) > 5 for n in names):
        return None  # one word ("Update: ...") is not a speaker's name
    return names, match.group(2).strip()


def is_platform(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == p or host.endswith("." + p) for p in PLATFORMS)
