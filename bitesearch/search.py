"""Query the index: Whoosh's query language over passages, results grouped by talk."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bitesearch.archive import Archive
from bitesearch.errors import UsageError
from bitesearch.index import open_index
from bitesearch.models import Hit
from bitesearch.snippets import MARK_CLOSE, MARK_OPEN, matched_spans, snippet
from bitesearch.timecode import hms

SEARCH_FIELDS = ["text", "title", "speaker"]
PASSAGES_PER_TALK = 20  # how many passages to rank per talk asked for, before grouping


@dataclass(frozen=True)
class QueryOptions:
    limit: int = 10
    speaker: str | None = None
    edition: str | None = None


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    passages: int  # matching passages before grouping
    notes: list[str] = field(default_factory=list)


def search(archive: Archive, text: str, options: QueryOptions | None = None) -> SearchResult:
    """Talks matching `text`, best first, each with its best passage highlighted."""
    options = options or QueryOptions()
    if not text.strip():
        raise UsageError(
            'empty query: say what to look for, for example: bitesearch query "open data"'
        )
    if options.limit < 1:
        raise UsageError("--limit must be 1 or more")
    ix = open_index(archive)
    notes: list[str] = []
    query = _parse(ix.schema, text, notes)
    filters = _filters(archive, ix.schema, options)
    with ix.searcher() as searcher:
        results = searcher.search(
            query, filter=filters, limit=options.limit * PASSAGES_PER_TALK, terms=True
        )
        hits = _group(results, options.limit, archive, ix.schema["text"].analyzer)
        total = len(results)
    return SearchResult(query=text, hits=hits, passages=total, notes=notes)


def _parse(schema: Any, text: str, notes: list[str]) -> Any:
    """Whoosh's query language; what it cannot read falls back to the plain words, with a note."""
    from whoosh.qparser import MultifieldParser, OrGroup

    parser = MultifieldParser(SEARCH_FIELDS, schema, group=OrGroup.factory(0.9))
    query = _try(parser, text)
    plain = " ".join(re.findall(r"\w+", text))
    if _is_null(query) and plain and plain != text.strip():
        query = _try(parser, plain)
        if not _is_null(query):
            notes.append(f"could not read {text!r} as a query; searched for the words: {plain}")
    if _is_null(query):
        raise UsageError(
            f"nothing to search for in {text!r} (only common words or symbols): add a topic word"
        )
    return query


def _is_null(query: Any) -> bool:
    from whoosh.query.qcore import _NullQuery

    return isinstance(query, _NullQuery)


def _try(parser: Any, text: str) -> Any:
    from whoosh.query import NullQuery

    try:
        return parser.parse(text)
    except Exception:  # Whoosh can raise on odd syntax; treat it as unreadable
        return NullQuery


def _filters(archive: Archive, schema: Any, options: QueryOptions) -> Any:
    from whoosh.qparser import QueryParser
    from whoosh.query import And, Term

    parts = []
    if options.edition is not None:
        edition = archive.find_edition(options.edition)
        parts.append(Term("edition_id", edition.id))
    if options.speaker:
        names = QueryParser("spoken_by", schema).parse(options.speaker)
        if not list(names.iter_all_terms()):
            raise UsageError(f"--speaker {options.speaker!r} names no one")
        parts.append(names)
    return And(parts) if parts else None


def _group(results: Any, limit: int, archive: Archive, analyzer: Any) -> list[Hit]:
    hits: dict[str, Hit] = {}
    for result in results:
        talk_id = result["talk_id"]
        if talk_id in hits:
            hits[talk_id].matches += 1
            continue
        if len(hits) >= limit:
            continue
        hits[talk_id] = _hit(result, archive, analyzer)
    return list(hits.values())


def _hit(result: Any, archive: Archive, analyzer: Any) -> Hit:
    terms = {t.decode() if isinstance(t, bytes) else t for f, t in result.matched_terms()}
    text = result["text"]
    source = json.loads(result["source"])
    start = float(result["start"])
    return Hit(
        edition=result.get("edition"),
        edition_id=result["edition_id"],
        edition_label=result["edition_label"],
        date=result.get("date", ""),
        talk=int(result["talk"]),
        talk_id=result["talk_id"],
        speakers=[s for s in result["speakers"].split(",") if s],
        speaker=result.get("spoken_by", ""),
        title=result.get("title", ""),
        kind=result["kind"],
        start=start,
        end=float(result["end"]),
        timestamp=hms(start),
        snippet=snippet(text, matched_spans(text, terms, analyzer)),
        score=round(float(result.score), 3),
        source=deep_link(source["recording"] or str(archive.root / source["file"]), start),
    )


def deep_link(where: str, seconds: float) -> str:
    """A link that plays `where` from `seconds`: YouTube's t=, SoundCloud's #t=m:ss, else #t=s."""
    t = int(seconds)
    parts = urlsplit(where)
    host = parts.netloc.lower()
    if host.endswith(("youtube.com", "youtu.be")):
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "t"] + [("t", str(t))]
        return urlunsplit(parts._replace(query=urlencode(query)))
    if host.endswith("soundcloud.com"):
        return urlunsplit(parts._replace(fragment=f"t={t // 60}:{t % 60:02d}"))
    return f"{where}#t={t}"


def plain_snippet(snippet: str, mark: str = "**") -> str:
    """The snippet with highlights shown as **term** (for JSON, Markdown and CSV)."""
    return snippet.replace(MARK_OPEN, mark).replace(MARK_CLOSE, mark)
