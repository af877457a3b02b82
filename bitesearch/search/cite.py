"""Citations a researcher can paste: who, "what", which edition (when), at what moment, link.

Priya Shah and Tom Baker, "Dashboards clinicians actually use", Data Bites #56
(2026-10-14), at 00:01:51, https://www.youtube.com/watch?v=...&t=111
"""

from __future__ import annotations

from bitesearch.models import Hit, Moment


def who(hit: Hit, moment: Moment) -> str:
    """Who to name: the passage's speaker; in questions, the talk's speakers' Q&A."""
    speakers = " and ".join(hit.speakers)
    if moment.kind == "qa" and moment.speaker in ("", "audience"):
        return f"Questions to {speakers}" if speakers else "Audience question"
    if moment.kind == "host":
        return f"{moment.speaker or speakers} (host)"
    return moment.speaker or speakers or "Unknown speaker"


def citation(hit: Hit, moment: Moment | None = None) -> str:
    """The citation of a hit's passage (its best one by default)."""
    moment = moment or (hit.passages[0] if hit.passages else _best(hit))
    when = f" ({hit.date})" if hit.date else ""
    title = hit.title or "Untitled talk"
    return (
        f'{who(hit, moment)}, "{title}", {hit.edition_label}{when}, '
        f"at {moment.timestamp}, {moment.source}"
    )


def _best(hit: Hit) -> Moment:
    return Moment(hit.start, hit.end, hit.timestamp, hit.speaker, hit.kind, hit.snippet,
                  hit.score, hit.source, hit.clip)  # fmt: skip
