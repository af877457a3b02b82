"""The query's filters (--speaker, --edition, --since, --until, --kind, --series) as one Whoosh
query, each checked against what the archive holds so a typo gets a clear one-line error."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError, UsageError
from bitesearch.models import Edition

KINDS = ("talk", "qa", "host")
_RANGE = re.compile(r"^#?(\d*)\s*\.\.\s*#?(\d*)$")


@dataclass(frozen=True)
class Filters:
    speaker: str | None = None  # who spoke the passage: any part of the name
    edition: str | None = None  # a number, an id, or a range of numbers "50..56"
    since: str | None = None  # a date: 2024, 2024-03 or 2024-03-14 (inclusive)
    until: str | None = None
    kind: str | None = None  # talk, qa or host
    series: str | None = None

    def query(self, archive: Archive, searcher: Any) -> Any:
        """One Whoosh query that every hit must match (None: no filters)."""
        from whoosh.query import And

        editions = archive.editions() if self._needs_editions() else []
        parts = [
            p
            for p in (
                self._edition(archive, editions),
                self._dates(),
                self._kind(),
                self._series(editions),
                self._speaker(searcher),
            )
            if p is not None
        ]
        return And(parts) if parts else None

    def _needs_editions(self) -> bool:
        return self.edition is not None or self.series is not None

    def _edition(self, archive: Archive, editions: list[Edition]) -> Any:
        from whoosh.query import NumericRange, Term

        if self.edition is None:
            return None
        match = _RANGE.match(self.edition.strip())
        if not match:
            return Term("edition_id", archive.find_edition(self.edition).id)
        low, high = (int(g) if g else None for g in match.groups())
        if low is not None and high is not None and low > high:
            raise UsageError(f"--edition {self.edition}: the range runs backwards")
        numbers = [e.number for e in editions if e.number is not None]
        if not any((low is None or n >= low) and (high is None or n <= high) for n in numbers):
            known = f"{min(numbers)}..{max(numbers)}" if numbers else "none"
            raise BitesearchError(
                f"no edition in {self.edition} in {archive.root} (editions in the archive: {known})"
            )
        return NumericRange("edition", low, high)

    def _dates(self) -> Any:
        from whoosh.query import TermRange

        if self.since is None and self.until is None:
            return None
        low = _date_bound(self.since, "--since", end=False) if self.since else None
        high = _date_bound(self.until, "--until", end=True) if self.until else None
        if low and high and low > high:
            raise UsageError(f"--since {self.since} is after --until {self.until}")
        return TermRange("date", low, high)

    def _kind(self) -> Any:
        from whoosh.query import Term

        if self.kind is None:
            return None
        kind = self.kind.lower()
        if kind not in KINDS:
            raise UsageError(f"unknown --kind {self.kind!r}: choose from {', '.join(KINDS)}")
        return Term("kind", kind)

    def _series(self, editions: list[Edition]) -> Any:
        from whoosh.query import Term

        if self.series is None:
            return None
        known = sorted({e.programme.series for e in editions if e.programme.series})
        chosen = [s for s in known if s.lower() == self.series.strip().lower()]
        if not chosen:
            listed = ", ".join(known) or "none"
            raise BitesearchError(f"no series {self.series!r} in the archive (series: {listed})")
        return Term("series", chosen[0])

    def _speaker(self, searcher: Any) -> Any:
        from whoosh.qparser import QueryParser

        if not self.speaker:
            return None
        names = QueryParser("spoken_by", searcher.schema).parse(self.speaker)
        terms = list(names.iter_all_terms())
        if not terms:
            raise UsageError(f"--speaker {self.speaker!r} names no one")
        if not all(searcher.doc_frequency(f, t) for f, t in terms):
            hint = _nearest(self.speaker, searcher)
            raise BitesearchError(f"no speaker {self.speaker!r} in the archive{hint}")
        return names


def _nearest(name: str, searcher: Any) -> str:
    """The archive's speakers closest to name (or the first few), as a hint."""
    names = sorted({f.get("spoken_by", "") for f in searcher.all_stored_fields()} - {""})
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.5)
    if close:
        return f" (did you mean: {', '.join(lowered[c] for c in close)}?)"
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f" (speakers: {', '.join(names[:5])}{more})" if names else ""


def _date_bound(text: str, option: str, end: bool) -> str:
    """'2024' -> '2024-01-01' (or '2024-12-31' for an end); checks it is a real date."""
    parts = text.strip().split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 1:
            numbers += [12, 31] if end else [1, 1]
        elif len(numbers) == 2:
            numbers += [31 if end else 1]
        if end and len(parts) == 2:
            numbers[2] = _month_end(numbers[0], numbers[1])
        day = date(*numbers)
    except (ValueError, TypeError):
        raise UsageError(
            f"{option} {text!r} is not a date (use 2024, 2024-03 or 2024-03-14)"
        ) from None
    return day.isoformat()


def _month_end(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date.resolution).day
