"""What a query and `show` print: talks with their passages, facets, a talk's transcript.

Kept apart from render.py so the query path imports rich's console and nothing of ingest.
Every string from an archive (titles, names, snippets, links) goes into rich as a Text, which
rich never parses for markup (see render.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from bitesearch.search.snippets import MARK_CLOSE, MARK_OPEN

if TYPE_CHECKING:
    from bitesearch.models import Hit, Moment
    from bitesearch.output.context import TalkContext
    from bitesearch.search.query import SearchResult


def styled(snippet: str) -> Text:
    """A snippet with its highlighted terms in bold yellow."""
    text = Text()
    for n, part in enumerate(snippet.replace(MARK_CLOSE, MARK_OPEN).split(MARK_OPEN)):
        text.append(part, style="bold yellow" if n % 2 else "")
    return text


def hits_view(result: SearchResult, cite: bool = False) -> Group | Text:
    """The hits as people read them: one block per talk, up to three passages each."""
    parts: list[Any] = []
    if not result.hits:
        parts.append(Text(f"No talks match {result.query!r}."))
    else:
        mode = "" if result.mode == "hybrid" else ", exact words only"
        talks = f"{len(result.hits)} talk{'s' * (len(result.hits) != 1)}"
        parts.append(Text(f"{talks} ({result.passages} passages{mode}) match {result.query!r}"))
    if result.also_matched:
        parts.append(Text(f"also matched: {', '.join(result.also_matched)}", style="dim"))
    if result.suggestions:
        parts.append(Text(f"Did you mean: {' or '.join(result.suggestions)}?", style="bold"))
    parts.append(Text(""))
    for n, hit in enumerate(result.hits, start=1):
        parts.extend(_hit_parts(n, hit, cite))
    if result.facets and any(result.facets.values()):
        parts.append(facets_view(result.facets))
    return Group(*parts)


def _hit_parts(n: int, hit: Hit, cite: bool) -> list[Any]:
    header = Text(f"{n}. ", style="bold")
    header.append(f"{hit.edition_label}", style="bold")
    slot = f"talk {hit.talk}" if hit.talk else "host"
    header.append(f" · {hit.date} · {slot}" if hit.date else f" · {slot}")
    header.append(f"  ({hit.matches} passage{'s' * (hit.matches != 1)})", style="dim")
    who = " and ".join(hit.speakers)
    line = Text("   ")
    line.append(hit.title or "Untitled talk", style="italic")
    line.append(f" — {who}" if who else "")
    parts: list[Any] = [header, line]
    for moment in hit.passages:
        said = Text("   ")
        said.append(moment.timestamp, style="green")
        said.append(f"  {_spoken_by(moment)}", style="dim")
        parts += [said, Padding(styled(moment.snippet), (0, 0, 0, 3))]
        parts.append(Text(f"   ▶ {moment.source}", style="dim", no_wrap=True, overflow="ignore"))
        if moment.clip:
            parts.append(
                Text(f"   ▶ clip {moment.clip}", style="dim", no_wrap=True, overflow="ignore")
            )
    if hit.also_matched:
        parts.append(Text(f"   also matched: {', '.join(hit.also_matched)}", style="dim"))
    if cite:
        parts.append(Text(f"   Cite: {hit.citation}", no_wrap=True, overflow="ignore"))
    parts.append(Text(f"   [{hit.talk_id}]\n", style="dim"))
    return parts


def _spoken_by(moment: Moment) -> str:
    """Who spoke a passage, and in which part: "Sam Milsom", "questions: audience", "host"."""
    if moment.kind == "qa":
        return f"questions{': ' + moment.speaker if moment.speaker else ''}"
    if moment.kind == "host" or moment.speaker == "host":
        return "host" if moment.speaker in ("", "host") else f"host: {moment.speaker}"
    return moment.speaker


def facets_view(facets: dict[str, dict[str, int]], top: int = 10) -> Group:
    """Matching passages by speaker, edition and year (the most frequent first)."""
    tables = []
    for name, counts in facets.items():
        table = Table(title=Text(f"passages by {name}"), title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column(name)
        table.add_column("passages", justify="right")
        rows = sorted(counts.items()) if name == "year" else list(counts.items())[:top]
        for value, count in rows:
            table.add_row(Text(value), str(count))
        if name != "year" and len(counts) > top:
            table.add_row(f"… {len(counts) - top} more", "")
        tables.append(table)
    return Group(*tables)


def context_view(context: TalkContext) -> Group:
    """A talk's lines, [hh:mm:ss] speaker: text, the moment asked for marked with ▶."""
    header = Text(f"{context.edition_label}", style="bold")
    header.append(f" · {context.date}" if context.date else "")
    header.append(f" · {context.talk_id}")
    title = Text(f"{context.title or 'Untitled talk'}", style="italic")
    title.append(f" — {' and '.join(context.speakers)}" if context.speakers else "")
    parts: list[Any] = [header, title, Text(f"▶ {context.link}\n", style="dim")]
    for line in context.lines:
        row = Text("▶ " if line.here else "  ", style="bold yellow")
        row.append(f"[{line.timestamp}] ", style="green")
        row.append(f"{line.speaker}: " if line.speaker else "", style="bold")
        row.append(line.text, style="bold" if line.here else "")
        parts.append(row)
    if not context.lines:
        parts.append(Text("(no transcript in this part of the talk)", style="dim"))
    return Group(*parts)
