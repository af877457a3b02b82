"""The data model: what an archive holds, as dataclasses that round-trip through JSON.

Every JSON file an archive writes carries ``"schema": SCHEMA_VERSION`` so a later release can
read (or migrate) what an earlier one wrote.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

Kind = Literal["host", "talk", "qa"]


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass
class Segment:
    """One decoded Whisper segment, with its words."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        words = [Word(**w) for w in data.get("words", [])]
        return cls(**{**data, "words": words})


@dataclass
class Transcript:
    """A recording's transcript and how it was made (engine, model, settings)."""

    engine: str
    model: str
    settings: dict[str, Any]
    language: str
    duration: float
    segments: list[Segment]
    key: str = ""  # the cache key: source hash + engine + model + settings
    schema: int = SCHEMA_VERSION

    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = [Segment.from_dict(s) for s in data.get("segments", [])]
        return cls(**{**data, "segments": segments})


VOCABULARY_CHARS = 400  # about 100 tokens: half of what Whisper's prompt can hold


@dataclass
class ProgrammeTalk:
    speakers: list[str]
    title: str = ""
    affiliations: list[str] = field(default_factory=list)
    start: float | None = None
    end: float | None = None


@dataclass
class Programme:
    """What a programme file says about an edition: its metadata and its talks in order."""

    series: str = ""
    edition: int | None = None
    title: str = ""
    date: str = ""
    venue: str = ""
    host: str = ""
    recording: str = ""
    talks: list[ProgrammeTalk] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def vocabulary(self, limit: int = VOCABULARY_CHARS) -> str:
        """The names a transcriber should spell right (series, host, speakers and their
        organisations), once each, as a hint to the model; at most `limit` characters, since
        Whisper's prompt is short. Talk titles are left out: on the sample they made tiny.en
        hear their words where they were not said (README, "Names from the programme")."""
        names = [self.series, self.host]
        for talk in self.talks:
            names += [*talk.speakers, *talk.affiliations]
        kept: list[str] = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            if len(", ".join([*kept, name])) > limit:
                break
            kept.append(name)
        return ", ".join(kept)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Programme:
        talks = [ProgrammeTalk(**t) for t in data.get("talks", [])]
        return cls(**{**data, "talks": talks})


@dataclass
class Source:
    """Where an edition's audio came from and what it is."""

    name: str  # the original file name or URL
    sha256: str
    size: int
    duration: float
    file: str  # the copy inside the edition folder, relative to it ("" when only captions)
    item: str = ""  # the source item's stable id: feed guid, yt-dlp id, or sha256:<hash>
    url: str = ""  # where the audio was downloaded from
    title: str = ""  # as the feed, page or platform titles it
    date: str = ""  # YYYY-MM-DD the item was published
    description: str = ""
    chapters: list[dict[str, Any]] = field(default_factory=list)  # {start, end, title}
    captions: str = ""  # a transcript given with (or instead of) the audio, in the folder
    aliases: list[str] = field(default_factory=list)  # other items found to be this audio


@dataclass
class Edition:
    """An ingested edition: its id (the folder name), programme and source."""

    id: str
    programme: Programme
    source: Source
    schema: int = SCHEMA_VERSION

    @property
    def number(self) -> int | None:
        return self.programme.edition

    @property
    def label(self) -> str:
        """How people name the edition: 'Data Bites #56', or the file name without one."""
        p = self.programme
        if p.edition is not None:
            return f"{p.series or 'Edition'} #{p.edition}"
        return p.title or self.id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edition:
        return cls(
            id=data["id"],
            programme=Programme.from_dict(data["programme"]),
            source=Source(**data["source"]),
            schema=data.get("schema", SCHEMA_VERSION),
        )


@dataclass
class Block:
    """A stretch of the recording: the host, a talk, or its questions."""

    kind: Kind
    slot: int  # 0 for the host's opening and closing, else the talk's 1-based slot
    start: float
    end: float


@dataclass
class Talk:
    """One speaker slot: who, what, and where it sits in the recording."""

    slot: int
    title: str
    speakers: list[str]
    affiliations: list[str]
    start: float
    end: float
    qa_start: float | None = None
    estimated: bool = False
    confidence: float = 1.0
    clip: str = ""  # the per-talk audio, relative to the edition folder

    def talk_id(self, edition_id: str) -> str:
        return f"{edition_id}/{self.slot}"


@dataclass
class Passage:
    """A searchable stretch of speech (about 30 to 60 s, cut at sentence ends)."""

    slot: int
    kind: Kind
    start: float
    end: float
    text: str
    speaker: str = ""  # who spoke it: a name, "host" or "audience" ("" when not known)


@dataclass
class Split:
    """An edition cut into talks, host blocks and passages, and how the cut was made."""

    method: str  # "voices", "programme-times", "text-anchors" or "whole-recording"
    talks: list[Talk]
    blocks: list[Block]
    passages: list[Passage]
    key: str = ""
    warnings: list[str] = field(default_factory=list)
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Split:
        return cls(
            method=data["method"],
            talks=[Talk(**t) for t in data["talks"]],
            blocks=[Block(**b) for b in data["blocks"]],
            passages=[Passage(**p) for p in data["passages"]],
            key=data.get("key", ""),
            warnings=data.get("warnings", []),
            schema=data.get("schema", SCHEMA_VERSION),
        )


@dataclass
class Moment:
    """One matching passage of a hit: when, who, what, and where to play it."""

    start: float
    end: float
    timestamp: str
    speaker: str
    kind: str
    snippet: str
    score: float
    source: str  # the recording (URL or archived file) at this moment
    clip: str = ""  # the talk's own clip at this moment ("" for the host)


@dataclass
class Hit:
    """A talk that matches a query: its best passage's fields, and up to three passages."""

    edition: int | None
    edition_id: str
    edition_label: str
    date: str
    talk: int
    talk_id: str
    speakers: list[str]  # the talk's speakers
    speaker: str  # who spoke the passage: a name, "host" or "audience"
    title: str
    kind: str
    start: float
    end: float
    timestamp: str
    snippet: str
    score: float
    source: str
    matches: int = 1  # matching passages in this talk
    clip: str = ""  # the best passage in the talk's clip
    passages: list[Moment] = field(default_factory=list)  # the best few, best first
    also_matched: list[str] = field(default_factory=list)  # topic synonyms found in them
    citation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestReport:
    source: str
    edition_id: str
    edition: int | None
    duration: float
    talks: int
    passages: int
    method: str
    status: str  # "ingested", "updated" or "up to date"
    stages: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    item: str = ""
    title: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
