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

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

from bitesearch.errors import BitesearchError
from bitesearch.models import Programme, ProgrammeTalk
from bitesearch.timecode import parse_time

EDITION_KEYS = {"series", "edition", "title", "date", "venue", "host", "recording", "talks"}
TALK_KEYS = {"speakers", "affiliations", "title", "start", "end"}


def load_programme(path: Path) -> Programme:
    """Read and check a programme file; any problem is a BitesearchError naming file and key."""
    if not path.is_file():
        raise BitesearchError(f"programme file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BitesearchError(f"programme {path} is not valid TOML: {exc}") from None
    try:
        return parse_programme(data)
    except ValueError as exc:
        raise BitesearchError(f"programme {path}: {exc}") from None


def parse_programme(data: dict[str, Any]) -> Programme:
    """A Programme from parsed TOML; ValueError says which key is wrong."""
    _check_keys(data, EDITION_KEYS, "")
    edition = data.get("edition")
    if edition is not None and (not isinstance(edition, int) or isinstance(edition, bool)):
        raise ValueError(f"'edition' must be a whole number, not {edition!r}")
    talks_data = data.get("talks", [])
    if not isinstance(talks_data, list):
        raise ValueError("'talks' must be a list of [[talks]] tables")
    talks = [_parse_talk(t, n) for n, t in enumerate(talks_data, start=1)]
    _check_order(talks)
    return Programme(
        series=_text(data, "series"),
        edition=edition,
        title=_text(data, "title"),
        date=_date(data.get("date")),
        venue=_text(data, "venue"),
        host=_text(data, "host"),
        recording=_text(data, "recording"),
        talks=talks,
    )


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
