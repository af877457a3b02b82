"""Topic synonyms for public-sector data: a researcher typing `AI` means machine learning too.

Each group below is a set of ways people name one topic. When a query names a topic in one
of these ways, the other ways are searched too, and the output says which of them matched
("also matched: artificial intelligence"). `--exact` turns this off. Other names of more than
one word are searched as phrases in what was said (not in titles: phrase matching over every
passage's title costs more than the rest of a query).

To add a topic, add a group: every phrase is lowercase, and a phrase in two groups expands
to both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GROUPS: list[tuple[str, ...]] = [
    ("ai", "artificial intelligence", "machine learning", "large language models",
     "large language model", "llm", "llms", "generative ai"),
    ("open data", "open datasets", "open dataset", "open government data",
     "open government licence"),
    ("dashboards", "dashboard", "data visualisation", "data visualization",
     "business intelligence", "power bi"),
    ("data sharing", "sharing data", "share data", "information sharing",
     "data sharing agreement", "data sharing agreements"),
    ("privacy", "data protection", "gdpr", "personal data", "anonymisation",
     "anonymization", "anonymising", "pseudonymisation", "pseudonymising"),
    ("data quality", "data cleaning", "clean data", "duplicate records", "data validation"),
    ("data literacy", "data skills", "data training", "data champions"),
    ("maps", "mapping", "geospatial", "gis", "spatial data", "spatial analysis"),
    ("health data", "patient data", "clinical data", "nhs data", "population health"),
    ("net zero", "carbon emissions", "climate change", "decarbonisation"),
    ("statistics", "official statistics", "national statistics", "census", "ons"),
    ("data governance", "data ownership", "data stewardship", "data standards", "data strategy"),
    ("cloud", "cloud platform", "data warehouse", "data platform"),
    ("foi", "freedom of information"),
    ("ev", "electric vehicle", "electric vehicles"),
    ("homelessness", "rough sleeping", "sleeping rough"),
    ("chatbot", "chatbots", "virtual assistant", "ai assistant"),
]  # fmt: skip

_FIELD = re.compile(r"\w+:\S*$")  # a phrase right after "field:" belongs to that field


@dataclass(frozen=True)
class Expansion:
    text: str  # the query with each named topic OR-ed with its other names
    added: tuple[str, ...]  # the other names that were added


def alternatives(phrase: str) -> list[str]:
    """The other names of every topic group that `phrase` is a name in."""
    phrase = phrase.lower()
    found: list[str] = []
    for group in GROUPS:
        if phrase in group:
            found += [p for p in group if p != phrase and p not in found]
    return found


def expand(query: str) -> Expansion:
    """The query with every topic name it uses (outside quotes and fields) OR-ed with the
    topic's other names: `AI ethics` -> `(AI OR text:(artificial AND intelligence) ...) ethics`."""
    names = sorted({p for g in GROUPS for p in g}, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
    out: list[str] = []
    added: list[str] = []
    at = 0
    for match in pattern.finditer(query):
        before, after = query[: match.start()], query[match.end() :]
        if before.count('"') % 2 or _FIELD.search(before) or after[:1] in ("*", "~", "^"):
            continue
        others = [a for a in alternatives(match.group(0)) if a not in added]
        if not others:
            continue
        # a multi-word name as all its words in one passage (not a phrase: checking word
        # positions in every passage that says "data" costs more than the rest of a query)
        quoted = " OR ".join(f"text:({' AND '.join(a.split())})" if " " in a else a for a in others)
        out += [query[at : match.start()], f"({match.group(0)} OR {quoted})"]
        added += others
        at = match.end()
    out.append(query[at:])
    return Expansion("".join(out), tuple(added))
