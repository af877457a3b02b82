"""Programme files: the TOML that names an edition and its talks in order.

series = "Data Bites"
edition = 56
title = "Data Bites #56"
date = "2026-10-14"
venue = "Online"
host = "Dan Barrett"
recording = "https://www.youtube.com/watch?v=..."   # optional

[[talks]]
speakers = ["Sam Milsom"]
affiliations = ["St Helens Council"]
title = "Open data in local government"
start = "00:01:10"      # optional; with times the split follows them
end = "00:09:30"
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from bitesearch.errors import BitesearchError
from bitesearch.models import Programme, ProgrammeTalk, Source
from bitesearch.timecode import parse_time

EDITION_KEYS = {"series", "edition", "title", "date", "venue", "host", "recording", "talks"}
TALK_KEYS = {"speakers", "affiliations", "title", "start", "end"}

# Bounds every programme keeps before it is stored (check_programme). Generous for real
# editions (an evening of talks, its titles and names as people write them), small enough that
# one odd feed, page or file cannot break indexing, `talks` or `reindex` for a whole archive.
MAX_SECONDS = 48 * 3600.0  # a time in a recording: the longest livestream we expect, twice over
MAX_EDITION = 99_999  # edition numbers 0..99999 (Whoosh's int field; ids as data-bites-056)
MAX_TALKS = 64  # talks in one edition (an evening has 3 to 6; a conference day 30 or so)
MAX_SPEAKERS = 8  # speakers of one talk, and as many affiliations (a panel)
TITLE_CHARS = 300  # an edition's or a talk's title
NAME_CHARS = 120  # a speaker's name
AFFILIATION_CHARS = 200
SERIES_CHARS = 100
VENUE_CHARS = 200
HOST_CHARS = 120  # the host (or hosts): "Dan Barrett and Jo Bloggs"
URL_CHARS = 2_000  # the recording's URL (browsers and servers handle about 2,000 safely)
DESCRIPTION_CHARS = 5_000  # a source's description: longer show notes are cut (check_source)
EDITION_TEXT = {
    "series": SERIES_CHARS,
    "title": TITLE_CHARS,
    "date": len("YYYY-MM-DD"),
    "venue": VENUE_CHARS,
    "host": HOST_CHARS,
    "recording": URL_CHARS,
}
# Control characters are stripped, not refused: feeds and pages carry stray ones and a user
# cannot fix those. Line breaks, tabs and other separators become a space; the rest (NUL, ESC
# that starts terminal sequences, DEL, C1 codes, bidirectional overrides) are dropped.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# In a description, where lines matter: every control character but tab and newline.
_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def load_programme(path: Path) -> Programme:
    """Read and check a programme file; any problem is a BitesearchError naming file and key."""
    if not path.is_file():
        raise BitesearchError(f"programme file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BitesearchError(f"programme {path} is not valid TOML: {exc}") from None
    try:
        return parse_programme(data, where=f"programme {path}")
    except ValueError as exc:
        raise BitesearchError(f"programme {path}: {exc}") from None


def parse_programme(data: dict[str, Any], where: str = "programme") -> Programme:
    """A Programme from parsed TOML; ValueError says which key is wrong, and a programme out
    of bounds (check_programme) is a BitesearchError naming `where` and the field."""
    _check_keys(data, EDITION_KEYS, "")
    edition = data.get("edition")
    if edition is not None and (not isinstance(edition, int) or isinstance(edition, bool)):
        raise ValueError(f"'edition' must be a whole number, not {edition!r}")
    talks_data = data.get("talks", [])
    if not isinstance(talks_data, list):
        raise ValueError("'talks' must be a list of [[talks]] tables")
    talks = [_parse_talk(t, n) for n, t in enumerate(talks_data, start=1)]
    programme = Programme(
        series=_text(data, "series"),
        edition=edition,
        title=_text(data, "title"),
        date=_date(data.get("date")),
        venue=_text(data, "venue"),
        host=_text(data, "host"),
        recording=_text(data, "recording"),
        talks=talks,
    )
    checked = check_programme(programme, where)  # before the order: NaN compares as in order
    _check_order(checked.talks)
    return checked


def _parse_talk(data: Any, number: int) -> ProgrammeTalk:
    where = f"talk {number}"
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a [[talks]] table")
    _check_keys(data, TALK_KEYS, where + ": ")
    speakers = _text_list(data, "speakers", where)
    if not speakers:
        raise ValueError(f"{where} needs 'speakers', a list of one or more names")
    affiliations = _text_list(data, "affiliations", where)
    start, end = (_time(data.get(k), f"{where} '{k}'") for k in ("start", "end"))
    if start is not None and end is not None and end <= start:
        raise ValueError(f"{where} ends ({end:.0f} s) before it starts ({start:.0f} s)")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise ValueError(f"{where} 'title' must be text")
    return ProgrammeTalk(
        speakers=speakers, title=title, affiliations=affiliations, start=start, end=end
    )


def _check_order(talks: list[ProgrammeTalk]) -> None:
    last = 0.0
    for n, talk in enumerate(talks, start=1):
        for value in (talk.start, talk.end):
            if value is None:
                continue
            if value < last:
                raise ValueError(f"talk {n} times go back before the talk before it")
            last = value


def _check_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(
            f"{where}unknown key {', '.join(map(repr, unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text, not {value!r}")
    return value


def _text_list(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where} '{key}' must be a list of names")
    return [v.strip() for v in value]


def _date(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"'date' must be YYYY-MM-DD, not {value!r}") from None
    raise ValueError(f"'date' must be YYYY-MM-DD, not {value!r}")


def _time(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def check_programme(programme: Programme, where: str) -> Programme:
    """The programme with control characters stripped from its text, or a BitesearchError,
    one line naming `where` and the field, when it breaks a bound: a time that is not finite,
    is negative or is beyond MAX_SECONDS (48 hours), a talk that ends before it starts, an
    edition outside 0..MAX_EDITION (99999), more than MAX_TALKS (64) talks or MAX_SPEAKERS (8)
    speakers or affiliations a talk, a speaker name left empty, text of the wrong type, a date
    that is not YYYY-MM-DD, or text longer than its bound: titles TITLE_CHARS (300), names
    NAME_CHARS (120), affiliations AFFILIATION_CHARS (200), series SERIES_CHARS (100), venue
    VENUE_CHARS (200), host HOST_CHARS (120), recording URL URL_CHARS (2,000).

    Every programme is to pass it before it is stored (from a file, a page, a feed or a
    platform) and when an archive is read; the argument is left unchanged."""
    try:
        return _checked(programme)
    except ValueError as exc:
        raise BitesearchError(f"{where}: {exc}") from None


def check_source(source: Source, where: str) -> Source:
    """The source with bounded text: its title as a programme title (control characters
    stripped, at most TITLE_CHARS, else a BitesearchError naming `where`), its URL at most
    URL_CHARS, and its description cut to DESCRIPTION_CHARS (show notes run long, and the
    description is only kept, never searched or shown, so it is cut rather than refused)."""
    try:
        title = _bounded(source.title, "source 'title'", TITLE_CHARS)
        url = _bounded(source.url, "source 'url'", URL_CHARS)
        description = _bounded(source.description, "source 'description'", None, lines=True)
    except ValueError as exc:
        raise BitesearchError(f"{where}: {exc}") from None
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1].rstrip() + "…"
    return dataclasses.replace(source, title=title, url=url, description=description)


def _checked(programme: Programme) -> Programme:
    edition = programme.edition
    if edition is not None:
        if not isinstance(edition, int) or isinstance(edition, bool):
            raise ValueError("'edition' must be a whole number")
        if not 0 <= edition <= MAX_EDITION:
            raise ValueError(f"'edition' must be 0 to {MAX_EDITION}, not {edition}")
    text: dict[str, Any] = {
        key: _bounded(getattr(programme, key), f"'{key}'", n) for key, n in EDITION_TEXT.items()
    }
    if text["date"]:
        text["date"] = _date(text["date"])
    if not isinstance(programme.talks, list):
        raise ValueError("'talks' must be a list of talks")
    if len(programme.talks) > MAX_TALKS:
        raise ValueError(f"talks: {len(programme.talks):,} of them (at most {MAX_TALKS})")
    talks = [_checked_talk(talk, n) for n, talk in enumerate(programme.talks, start=1)]
    return dataclasses.replace(programme, **text, talks=talks)


def _checked_talk(talk: ProgrammeTalk, number: int) -> ProgrammeTalk:
    where = f"talk {number}"
    speakers = _names(talk.speakers, where, "speakers", NAME_CHARS)
    if any(not name for name in speakers):
        empty = speakers.index("") + 1
        raise ValueError(f"{where} speaker {empty} is empty once control characters are removed")
    affiliations = _names(talk.affiliations, where, "affiliations", AFFILIATION_CHARS)
    start, end = (_seconds(getattr(talk, key), f"{where} '{key}'") for key in ("start", "end"))
    if start is not None and end is not None and end < start:
        raise ValueError(f"{where} ends ({end:.0f} s) before it starts ({start:.0f} s)")
    title = _bounded(talk.title, f"{where} 'title'", TITLE_CHARS)
    return dataclasses.replace(
        talk, speakers=speakers, title=title, affiliations=affiliations, start=start, end=end
    )


def _names(names: Any, where: str, key: str, limit: int) -> list[str]:
    if not isinstance(names, list):
        raise ValueError(f"{where} '{key}' must be a list of names")
    if len(names) > MAX_SPEAKERS:
        raise ValueError(f"{where} '{key}': {len(names):,} of them (at most {MAX_SPEAKERS})")
    one = key.removesuffix("s")  # "talk 2 speaker 1"
    return [_bounded(name, f"{where} {one} {n}", limit) for n, name in enumerate(names, start=1)]


def _bounded(value: Any, field: str, limit: int | None, lines: bool = False) -> str:
    """value without control characters (with `lines`, line breaks are kept), at most limit
    characters long; ValueError naming the field otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be text, not {type(value).__name__}")
    if limit is not None and len(value) > 4 * limit:  # too long whatever is stripped: say so
        raise ValueError(f"{field} is {len(value):,} characters long (at most {limit})")
    if lines:
        cleaned = _LINE_CONTROLS.sub("", re.sub(r"\r\n?", "\n", value)).strip()
    else:
        cleaned = _CONTROLS.sub("", _BREAKS.sub(" ", value)).strip()
    if limit is not None and len(cleaned) > limit:
        raise ValueError(f"{field} is {len(cleaned):,} characters long (at most {limit})")
    return cleaned


def _seconds(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{field} must be a number of seconds")
    if not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number of seconds, not {value}")
    if value < 0:
        raise ValueError(f"{field} is negative ({value} s)")
    if value > MAX_SECONDS:
        raise ValueError(f"{field} is beyond {MAX_SECONDS / 3600:.0f} hours ({value:.0f} s)")
    return float(value)


def to_toml(programme: Programme) -> str:
    """The programme as a programme file (what `--programme` reads), for a user to correct."""
    lines = [
        f"{key} = {_toml(value)}"
        for key in ("series", "edition", "title", "date", "venue", "host", "recording")
        if (value := getattr(programme, key)) not in ("", None)
    ]
    for talk in programme.talks:
        lines += ["", "[[talks]]", f"speakers = {_toml(talk.speakers)}"]
        if talk.affiliations:
            lines.append(f"affiliations = {_toml(talk.affiliations)}")
        lines.append(f"title = {_toml(talk.title)}")
        for key in ("start", "end"):
            if (seconds := getattr(talk, key)) is not None:
                lines.append(f"{key} = {_toml(_clock(seconds))}")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _clock(seconds: float) -> str:
    whole = int(seconds)
    clock = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    fraction = round(seconds - whole, 3)
    return clock + (f"{fraction:.3f}".lstrip("0") if fraction else "")
