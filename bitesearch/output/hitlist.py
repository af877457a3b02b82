"""The hit list for a write-up: small writer classes looked up by format name (md, json, csv).

Each writer has `write(result, file)`; highlighted terms become **term**.
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from bitesearch.errors import UsageError
from bitesearch.models import Hit
from bitesearch.search.query import SearchResult, plain_snippet

CSV_COLUMNS = ["rank", "edition", "edition_id", "date", "talk_id", "title", "speakers",
               "speaker", "kind", "timestamp", "start", "end", "snippet", "link", "clip",
               "citation"]  # fmt: skip


def hit_dict(hit: Hit) -> dict[str, Any]:
    """A hit as JSON: every snippet with **highlights**."""
    data = hit.to_dict()
    data["snippet"] = plain_snippet(hit.snippet)
    for moment in data["passages"]:
        moment["snippet"] = plain_snippet(moment["snippet"])
    return data


class WriteJSON:
    """A list of hits; with facets, an object holding the hits and the facets."""

    def write(self, result: SearchResult, out: TextIO) -> None:
        hits = [hit_dict(h) for h in result.hits]
        data: Any = hits
        if result.facets is not None:
            data = result.to_dict() | {"hits": hits}
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


class WriteMarkdown:
    """A numbered list of talks; under each, its passages as quotes with time and link."""

    def write(self, result: SearchResult, out: TextIO) -> None:
        out.write(f"# Talks matching “{result.query}”\n\n")
        if result.also_matched:
            out.write(f"*Also matched: {', '.join(result.also_matched)}.*\n\n")
        for n, hit in enumerate(result.hits, start=1):
            when = f" ({hit.date})" if hit.date else ""
            speakers = " and ".join(hit.speakers)
            out.write(f"{n}. **{hit.title or 'Untitled talk'}**, {speakers}, "
                      f"{hit.edition_label}{when} `{hit.talk_id}`\n")  # fmt: skip
            for moment in hit.passages:
                link = f"[{moment.timestamp}]({moment.source})"
                who = f" {moment.speaker}:" if moment.speaker else ""
                out.write(f"   - {link}{who} {plain_snippet(moment.snippet)}\n")
            out.write(f"\n   Cite: {hit.citation}\n\n")
        if not result.hits:
            out.write("No talks match.\n")


class WriteCSV:
    """One row per shown passage, with its talk's rank, for a spreadsheet."""

    def write(self, result: SearchResult, out: TextIO) -> None:
        from bitesearch.search.cite import citation

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for rank, hit in enumerate(result.hits, start=1):
            for m in hit.passages:
                writer.writerow([rank, hit.edition or "", hit.edition_id, hit.date, hit.talk_id,
                                 hit.title, "; ".join(hit.speakers), m.speaker, m.kind,
                                 m.timestamp, m.start, m.end, plain_snippet(m.snippet),
                                 m.source, m.clip, citation(hit, m)])  # fmt: skip


WRITERS: dict[str, Any] = {"md": WriteMarkdown, "json": WriteJSON, "csv": WriteCSV}


def get_writer(name: str) -> WriteMarkdown | WriteJSON | WriteCSV:
    aliases = {"markdown": "md"}
    key = aliases.get(name.lower(), name.lower())
    if key not in WRITERS:
        choices = ", ".join(["text", *WRITERS])
        raise UsageError(f"unknown format {name!r}: choose from {choices}")
    return WRITERS[key]()
