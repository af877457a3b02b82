"""Query the index: Whoosh's query language over passages, topic synonyms, keyword and vector
rankings fused, results grouped by talk.

Hybrid (the default): the keyword (BM25) ranking and the meaning (vector) ranking are fused
by reciprocal rank fusion. A query with operators that decide what matches (AND, NOT, fields,
"phrases", prefix*, fuzzy~) keeps exactly its keyword matches, re-ranked by meaning. With
`exact`, the words are searched as typed: BM25 only, no synonyms, no vectors.

What one query may cost is capped (caps.py); each cap is said in the result's notes.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bitesearch.archive import Archive
from bitesearch.errors import UsageError
from bitesearch.models import Hit, Moment
from bitesearch.search import hybrid
from bitesearch.search.caps import capped
from bitesearch.search.cite import citation
from bitesearch.search.filters import Filters
from bitesearch.search.hybrid import Meaning
from bitesearch.search.index import READ_DAMAGE, damaged
from bitesearch.search.snippets import MARK_CLOSE, MARK_OPEN, matched_spans, snippet
from bitesearch.search.store import SearchStore
from bitesearch.search.tables import Tables
from bitesearch.search.topics import Expansion, expand
from bitesearch.timecode import hms

SEARCH_FIELDS = ["text", "title", "speaker"]
PASSAGES_PER_TALK = 10  # keyword passages ranked per talk asked for, before grouping
SHOWN_PER_TALK = 3  # passages shown under each talk
COMMON = 0.3  # a word in more than this share of passages is left out of an OR (see below)
_STRUCTURED = re.compile(r"\b(AND|NOT)\b|\w:|\"|\*|~")


@dataclass(frozen=True)
class QueryOptions:
    limit: int = 10
    speaker: str | None = None
    edition: str | None = None
    since: str | None = None
    until: str | None = None
    kind: str | None = None
    series: str | None = None
    exact: bool = False  # keyword only: the words as typed, no synonyms, no vectors
    facets: bool = False

    def filters(self) -> Filters:
        return Filters(self.speaker, self.edition, self.since, self.until, self.kind, self.series)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    passages: int  # matching passages before grouping
    notes: list[str] = field(default_factory=list)
    also_matched: list[str] = field(default_factory=list)  # topic synonyms found in the hits
    suggestions: list[str] = field(default_factory=list)  # "did you mean"
    facets: dict[str, dict[str, int]] | None = None
    mode: str = "hybrid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "passages": self.passages,
            "also_matched": self.also_matched,
            "did_you_mean": self.suggestions,
            "facets": self.facets,
            "hits": [h.to_dict() for h in self.hits],
        }


def search(archive: Archive, text: str, options: QueryOptions | None = None) -> SearchResult:
    """Talks matching `text`, best first, each with its best passages highlighted. An index
    file that fails to read as it is searched (a planted pickle in a stored field, a segment
    cut short) is the index's damage: one BitesearchError naming it and `reindex`."""
    options = options or QueryOptions()
    try:
        return _search(archive, text, options)
    except READ_DAMAGE as exc:
        raise damaged(SearchStore(archive).folder, exc) from None


def _search(archive: Archive, text: str, options: QueryOptions) -> SearchResult:
    if not text.strip():
        raise UsageError(
            'empty query: say what to look for, for example: bitesearch query "open data"'
        )
    if options.limit < 1:
        raise UsageError("--limit must be 1 or more")
    store = SearchStore(archive)
    searcher = store.searcher()
    tables = store.tables(searcher)
    meaning = None if options.exact else Meaning.start(searcher, store.folder, text, tables)
    notes: list[str] = []
    expansion = Expansion(text, ()) if options.exact else expand(text)
    query = _parse(searcher.schema, expansion.text, text, notes)
    query = capped(searcher.reader(), query, notes)
    filters = options.filters().query(archive, searcher)
    highlight = _terms(searcher, query)
    query = without_common_words(searcher, query)
    ranked, total = _rank(searcher, query, filters, text, options, tables, meaning)
    context = _Context(archive, searcher, highlight, expansion.added, tables)
    hits = context.group(ranked, options.limit)
    result = SearchResult(text, hits, total, notes, mode="keyword" if options.exact else "hybrid")
    result.also_matched = [a for a in expansion.added if any(a in h.also_matched for h in hits)]
    from bitesearch.search.suggest import did_you_mean

    result.suggestions = did_you_mean(searcher, text)
    if options.facets:
        result.facets = _facets(searcher, query, filters, ranked)
    return result


def _rank(
    searcher: Any,
    query: Any,
    filters: Any,
    text: str,
    options: QueryOptions,
    tables: Tables | None,
    meaning: Meaning | None,
) -> tuple[list[tuple[int, float]], int]:
    """(docnum, score) of the candidate passages, best first, and how many passages match."""
    limit = options.limit * PASSAGES_PER_TALK
    allowed = set(searcher.docs_for_query(filters)) if filters is not None else None
    scores = tables.score(query) if tables is not None else None
    if scores is not None and tables is not None:  # words, OR and AND: scored in numpy
        keyword = tables.top(scores, allowed, limit)
    else:
        results = searcher.search(query, filter=allowed, limit=limit)  # docnums, found once
        keyword = [(docnum, float(score)) for score, docnum in results.top_n]
    total = len(keyword)  # counting every match costs more than the search: --facets does
    if meaning is None:
        return keyword, total
    docnums = [d for d, _ in keyword]
    structured = _STRUCTURED.search(text)
    by_meaning = meaning.rerank(docnums) if structured else meaning.nearest(allowed)
    fused = hybrid.fuse(docnums, [d for d, _ in by_meaning])
    extra = len({d for d, _ in by_meaning} - set(docnums))
    return [(d, round(s, 5)) for d, s in fused], total + extra


def _parse(schema: Any, text: str, typed: str, notes: list[str]) -> Any:
    """Whoosh's query language (with topic synonyms); what it cannot read falls back to the
    typed query, then to its plain words, with a note."""
    from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup

    # plain OR, no coordination factor: that factor counts matching terms for every match
    parser = MultifieldParser(SEARCH_FIELDS, schema, group=OrGroup)
    parser.add_plugin(FuzzyTermPlugin())  # licence~ (one edit) and licence~2
    query = _try(parser, text)
    if _is_null(query) and text != typed:
        query = _try(parser, typed)
    plain = " ".join(re.findall(r"\w+", typed))
    if _is_null(query) and plain and plain != typed.strip():
        query = _try(parser, plain)
        if not _is_null(query):
            notes.append(f"could not read {typed!r} as a query; searched for the words: {plain}")
    if _is_null(query):
        raise UsageError(
            f"nothing to search for in {typed!r} (only common words or symbols): add a topic word"
        )
    return query


def without_common_words(searcher: Any, query: Any) -> Any:
    """The query without words that are in more than COMMON of all passages ("data", in this
    archive) where they are only one choice of an OR beside rarer words: like stop words, they
    barely change the ranking, and scoring every passage that holds them is most of the time a
    query takes. A word is dropped from every field at once; phrases, AND and NOT keep it."""
    from whoosh.query import Or, Term

    limit = COMMON * max(searcher.doc_count(), 1)

    def terms(subs: list[Any]) -> list[Any]:
        nested = [t for s in subs if isinstance(s, Or) for t in s.subqueries]
        return [t for t in [*subs, *nested] if isinstance(t, Term)]

    def prune(q: Any) -> Any:
        if not isinstance(q, Or):
            return q
        subs = [prune(s) for s in q.subqueries]
        common = {
            t.text
            for t in terms(subs)
            if t.fieldname == "text" and searcher.doc_frequency("text", t.text) > limit
        }

        def is_common(s: Any) -> bool:
            if isinstance(s, Or):
                return all(isinstance(t, Term) and t.text in common for t in s.subqueries)
            return isinstance(s, Term) and s.text in common

        kept = [s for s in subs if not is_common(s)]
        if not kept or len(kept) == len(subs):
            return q
        pruned = copy.copy(q)
        pruned.subqueries = kept
        return pruned

    return prune(query)


def _is_null(query: Any) -> bool:
    from whoosh.query.qcore import _NullQuery

    return isinstance(query, _NullQuery)


def _try(parser: Any, text: str) -> Any:
    from whoosh.query import NullQuery

    try:
        return parser.parse(text)
    except Exception:  # Whoosh can raise on odd syntax; treat it as unreadable
        return NullQuery


def _terms(searcher: Any, query: Any) -> set[str]:
    """The indexed words the query matches (prefixes and fuzzy terms expanded), to highlight."""
    try:
        pairs = query.existing_terms(searcher.reader(), expand=True)
    except Exception:  # an odd query Whoosh cannot expand: highlight nothing rather than fail
        return set()
    return {
        t.decode() if isinstance(t, bytes) else str(t) for f, t in pairs if f in ("text", "title")
    }


@dataclass
class _Context:
    """What turning ranked passages into hits needs."""

    archive: Archive
    searcher: Any
    terms: set[str]
    synonyms: tuple[str, ...]
    tables: Tables | None = None

    def talk_of(self, docnum: int) -> object:
        if self.tables is not None:
            return int(self.tables.talks[docnum])
        return self.searcher.stored_fields(docnum)["talk_id"]

    def group(self, ranked: list[tuple[int, float]], limit: int) -> list[Hit]:
        """Passages grouped by talk; stored fields are read only for the passages shown."""
        hits: dict[object, Hit] = {}
        fields = self.searcher.stored_fields
        for docnum, score in ranked:
            talk = self.talk_of(docnum)
            hit = hits.get(talk)
            if hit is not None:
                hit.matches += 1
                if len(hit.passages) < SHOWN_PER_TALK:
                    hit.passages.append(self.moment(fields(docnum), score))
            elif len(hits) < limit:
                hits[talk] = self.hit(fields(docnum), score)
        for hit in hits.values():
            hit.also_matched = self.found_synonyms(hit)
            hit.citation = citation(hit)
        return list(hits.values())

    def moment(self, fields: dict[str, Any], score: float) -> Moment:
        text = fields["text"]
        start = float(fields["start"])
        analyzer = self.searcher.schema["text"].analyzer
        source = json.loads(fields["source"])
        where = source["recording"] or str(self.archive.root / source["file"])
        clip = ""
        if source.get("clip"):
            clip = f"{self.archive.root / source['clip']}#t={int(start - source['clip_start'])}"
        return Moment(
            start=start,
            end=float(fields["end"]),
            timestamp=hms(start),
            speaker=fields.get("spoken_by", ""),
            kind=fields["kind"],
            snippet=snippet(text, matched_spans(text, self.terms, analyzer)),
            score=round(score, 5),
            source=deep_link(where, start),
            clip=clip,
        )

    def hit(self, fields: dict[str, Any], score: float) -> Hit:
        best = self.moment(fields, score)
        return Hit(
            edition=fields.get("edition"),
            edition_id=fields["edition_id"],
            edition_label=fields["edition_label"],
            date=fields.get("date", ""),
            talk=int(fields["talk"]),
            talk_id=fields["talk_id"],
            speakers=[s for s in fields.get("talk_speakers", fields["speakers"]).split(",") if s],
            speaker=best.speaker,
            title=fields.get("title", ""),
            kind=best.kind,
            start=best.start,
            end=best.end,
            timestamp=best.timestamp,
            snippet=best.snippet,
            score=best.score,
            source=best.source,
            clip=best.clip,
            passages=[best],
        )

    def found_synonyms(self, hit: Hit) -> list[str]:
        """The topic synonyms that occur in the hit's shown passages."""
        if not self.synonyms:
            return []
        said = " ".join(_plain(p.snippet) for p in hit.passages).lower()
        return [s for s in self.synonyms if re.search(rf"\b{re.escape(s)}\b", said)]


def _plain(snippet_text: str) -> str:
    return snippet_text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def _facets(
    searcher: Any, query: Any, filters: Any, ranked: list[tuple[int, float]]
) -> dict[str, dict[str, int]]:
    """Matching passages counted by who spoke them, edition and year."""
    docnums = set(searcher.docs_for_query(query)) | {d for d, _ in ranked}
    if filters is not None:
        docnums &= set(searcher.docs_for_query(filters))
    counts: dict[str, Counter[str]] = {
        "speaker": Counter(),
        "edition": Counter(),
        "year": Counter(),
    }
    for docnum in docnums:
        fields = searcher.stored_fields(docnum)
        counts["speaker"][fields.get("spoken_by") or "(unattributed question)"] += 1
        counts["edition"][fields["edition_label"]] += 1
        counts["year"][(fields.get("date") or "undated")[:4]] += 1
    return {name: dict(c.most_common()) for name, c in counts.items()}


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
