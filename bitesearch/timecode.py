"""Times as people write them ("01:02:03", "2:03", "75.5") and as archives store them (seconds)."""

from __future__ import annotations

import re

_HMS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def parse_time(value: str | int | float) -> float:
    """Seconds from "hh:mm:ss", "mm:ss" or a number of seconds; ValueError otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"negative time {value}")
        return float(value)
    text = str(value).strip()
    match = _HMS.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        if int(minutes) >= 60 or float(seconds) >= 60:
            raise ValueError(f"not a time: {text!r}")
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        seconds_only = float(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use hh:mm:ss)") from None
    if seconds_only < 0:
        raise ValueError(f"negative time {text!r}")
    return seconds_only


def hms(seconds: float) -> str:
    """'hh:mm:ss' for a number of seconds (rounded down to the second)."""
    total = int(max(seconds, 0.0))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def subtitle_time(seconds: float, decimal: str = ",") -> str:
    """'hh:mm:ss,mmm' (SRT) or with decimal='.' 'hh:mm:ss.mmm' (WebVTT)."""
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"
