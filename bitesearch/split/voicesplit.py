"""The voice-aware split: talks, host blocks, questions and who spoke every passage.

Voices come from `diarize`, slot boundaries from `slots`; this module names the voices from
the programme (in slot order; the host is "host", voices of no slot are "audience", and without
a programme every voice is "Speaker N" by order of appearance) and assembles the Split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bitesearch.models import Block, Kind, Programme, Split, Talk, Transcript, Word
from bitesearch.split import passages
from bitesearch.split.diarize import OTHER, Diarization
from bitesearch.split.segment import CLOSING, QA_INVITE, SENTENCE_END, Sentence, sentences
from bitesearch.split.slots import (
    MIN_OWN_SECONDS,
    SlotCut,
    SlotSpec,
    confidence,
    cut_slots,
    slot_parts,
)

OPENING_TURN = 2.0  # seconds: the host is the first voice to speak this long
TALK_VOICE_SECONDS = 60.0  # without a programme, a voice this long is someone's talk ...
TALK_VOICE_SHARE = 0.1  # ... or, in a short recording, one with this share of the speech
# (and never less than MIN_OWN_SECONDS: a few seconds of a voice is a question, not a talk)
SHORT_RUN_WORDS = 2  # a run of this many words in another voice is a labelling blip
HOST_ASIDE_SECONDS = 4.0  # the host's words inside a talk longer than this are the host's


@dataclass
class Naming:
    """Who each voice is, per slot (one voice can own a slot) and overall."""

    host: int
    per_slot: dict[tuple[int, int], str] = field(default_factory=dict)  # (slot, voice) -> name
    overall: dict[int, str] = field(default_factory=dict)
    numbered: bool = False  # no programme: voices are "Speaker N"

    def name(self, slot: int, voice: int) -> str:
        if (slot, voice) in self.per_slot:
            return self.per_slot[(slot, voice)]
        if voice in self.overall:
            return self.overall[voice]
        if self.numbered and voice != OTHER:
            return f"Speaker {voice + 1}"
        return "host" if voice == self.host and not self.numbered else "audience"


def split_by_voice(
    transcript: Transcript, programme: Programme | None, voices: Diarization
) -> Split:
    labels = snap_to_sentences(transcript.words(), smooth_labels(voices.word_labels))
    units = sentences(transcript, labels)
    host = opening_voice(units)
    specs, numbered = _specs(programme, units, host, voices)
    warnings: list[str] = []
    if not specs:
        return _single_talk(transcript, units, host)
    cuts = cut_slots(units, specs, host, voices.voices)
    naming = _name(cuts, specs, units, host, numbered)
    explicit = all(s.start is not None for s in specs)
    talks: list[Talk] = []
    blocks = [Block("host", 0, u.start, u.end) for u in units[: cuts[0].first]]
    for slot, (cut, spec) in enumerate(zip(cuts, specs, strict=True), start=1):
        talk, slot_blocks = _slot(slot, cut, spec, units, host, explicit)
        talks.append(talk)
        blocks.extend(slot_blocks)
        if cut.first == cut.stop:
            warnings.append(f"talk {slot} ({', '.join(spec.names)}) is not in the recording")
        elif cut.own_seconds < MIN_OWN_SECONDS:
            warnings.append(f"talk {slot} ({', '.join(spec.names)}): no voice of its own found")
    blocks = _closing(_merge(blocks), units)
    made = passages.build(units, blocks)
    _attribute(made, units, naming, talks)
    method = "programme-times" if explicit else "voices"
    return Split(method, talks, blocks, made, warnings=warnings)


def smooth_labels(labels: list[int]) -> list[int]:
    """Relabel runs of SHORT_RUN_WORDS words or fewer whose neighbours agree on a voice."""
    out = list(labels)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j] == out[i]:
            j += 1
        if i > 0 and j < len(out) and j - i <= SHORT_RUN_WORDS and out[i - 1] == out[j]:
            out[i:j] = [out[j]] * (j - i)
        i = j
    return out


def snap_to_sentences(words: list[Word], labels: list[int]) -> list[int]:
    """A sentence's first or last SHORT_RUN_WORDS words in another voice than the rest of it
    take the rest's voice: a window straddling a change of speaker blurs the words next to it."""
    out = list(labels)
    start = 0
    for i, word in enumerate(words):
        if i + 1 == len(words) or SENTENCE_END.search(word.text.strip()):
            _snap_edges(out, start, i + 1)
            start = i + 1
    return out


def _snap_edges(labels: list[int], start: int, stop: int) -> None:
    """The sentence's first run of one voice joins the next, and its last run the one before,
    when it is SHORT_RUN_WORDS words or fewer and its neighbour is longer ("Thank | you, Sam.":
    the host's thanks, the first word heard in the speaker's voice). A sentence can hold
    more than two runs when Whisper left a change of speaker unpunctuated ("... it was
    humbling. They didn't want twenty charts ... a call today we rebuilt everything ...")."""
    runs: list[tuple[int, int]] = []  # (first index, end index) of each run of one voice
    for i in range(start, stop):
        if not runs or labels[i] != labels[runs[-1][0]]:
            runs.append((i, i + 1))
        else:
            runs[-1] = (runs[-1][0], i + 1)
    if len(runs) < 2:
        return
    for (a0, a1), (b0, b1) in ((runs[0], runs[1]), (runs[-1], runs[-2])):
        if a1 - a0 <= SHORT_RUN_WORDS and a1 - a0 < b1 - b0:
            labels[a0:a1] = [labels[b0]] * (a1 - a0)


def opening_voice(units: list[Sentence]) -> int:
    """The host, who opens an edition: the first voice whose first turn lasts OPENING_TURN
    seconds (a cough or a word from someone else before the host does not count)."""
    turn_voice, turn_start = None, 0.0
    for unit in units:
        if unit.label != turn_voice:
            turn_voice, turn_start = unit.label, unit.start
        if turn_voice != OTHER and unit.end - turn_start >= OPENING_TURN:
            return turn_voice
    return next((u.label for u in units if u.label != OTHER), units[0].label if units else 0)


def _specs(
    programme: Programme | None, units: list[Sentence], host: int, voices: Diarization
) -> tuple[list[SlotSpec], bool]:
    if programme and programme.talks:
        return [
            SlotSpec(t.speakers, t.affiliations, t.title, t.start) for t in programme.talks
        ], False
    share = TALK_VOICE_SHARE * sum(voices.seconds)  # short recordings have short talks
    enough = max(MIN_OWN_SECONDS, min(TALK_VOICE_SECONDS, share))
    talkers = [v for v in range(voices.voices) if v != host and voices.seconds[v] >= enough]
    groups = _co_presenters(units, talkers)
    return [SlotSpec([f"Speaker {v + 1}" for v in group], [], "") for group in groups], True


def _co_presenters(units: list[Sentence], talkers: list[int]) -> list[list[int]]:
    """Talkers grouped into slots: voices that take turns within one stretch of the recording
    (the middle 80 % of their speech overlapping by more than half) present together."""
    spans = {}
    for voice in talkers:
        starts = sorted(u.start for u in units if u.label == voice)
        spans[voice] = (starts[len(starts) // 10], starts[(len(starts) * 9) // 10])
    groups: list[list[int]] = []
    for voice in sorted(talkers, key=lambda v: spans[v][0]):
        group = groups[-1] if groups else None
        if group and _overlap(spans[group[-1]], spans[voice]) > 0.5 and len(group) < 2:
            group.append(voice)
        else:
            groups.append([voice])
    return groups


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    shorter = max(min(a[1] - a[0], b[1] - b[0]), 1e-9)
    return max(shared, 0.0) / shorter


def _single_talk(transcript: Transcript, units: list[Sentence], host: int) -> Split:
    start = units[0].start if units else 0.0
    end = units[-1].end if units else transcript.duration
    naming = Naming(host=host, numbered=True)
    talk = Talk(1, "", [naming.name(1, host)], [], start, end)
    blocks = [Block("talk", 1, start, end)]
    made = passages.build(units, blocks)
    _attribute(made, units, naming, [talk])
    return Split("whole-recording", [talk], blocks, made)


def _name(
    cuts: list[SlotCut], specs: list[SlotSpec], units: list[Sentence], host: int, numbered: bool
) -> Naming:
    naming = Naming(host=host, numbered=numbered)
    for slot, (cut, spec) in enumerate(zip(cuts, specs, strict=True), start=1):
        order = _by_appearance(cut, units)
        if len(order) < len(spec.names) and order:
            naming.per_slot[(slot, order[0])] = " and ".join(spec.names)
            naming.overall.setdefault(order[0], " and ".join(spec.names))
            continue
        for voice, name in zip(order, spec.names, strict=False):
            naming.per_slot[(slot, voice)] = name
            naming.overall.setdefault(voice, name)
    return naming


def _by_appearance(cut: SlotCut, units: list[Sentence]) -> list[int]:
    seen: list[int] = []
    for unit in units[cut.first : cut.stop]:
        if unit.label in cut.own and unit.label not in seen:
            seen.append(unit.label)
    return seen


def _slot(
    slot: int, cut: SlotCut, spec: SlotSpec, units: list[Sentence], host: int, explicit: bool
) -> tuple[Talk, list[Block]]:
    mine = units[cut.first : cut.stop]
    parts = slot_parts(mine, cut.own, host)
    talk = Talk(slot, spec.title, list(spec.names), list(spec.affiliations), start=0.0, end=0.0)
    if parts.talk is None or parts.last is None:
        at = mine[0].start if mine else units[min(cut.first, len(units) - 1)].end
        talk.start = talk.end = spec.start if spec.start is not None else at
        talk.estimated, talk.confidence = True, 0.0
        return talk, [Block("host", slot, u.start, u.end) for u in mine]
    talk.start = spec.start if explicit and spec.start is not None else mine[parts.talk].start
    talk.end = mine[parts.last].end
    talk.qa_start = mine[parts.qa].start if parts.qa is not None else None
    talk.estimated = not explicit
    talk.confidence = 1.0 if explicit else confidence(cut)
    stop = parts.qa if parts.qa is not None else parts.last + 1
    last_own = max((i for i in range(parts.talk, stop) if mine[i].label in cut.own), default=0)
    kinds = [_kind(i, u, parts, host, last_own) for i, u in enumerate(mine)]
    return talk, [Block(k, slot, u.start, u.end) for k, u in zip(kinds, mine, strict=True)]


def _kind(i: int, unit: Sentence, parts: object, host: int, last_own: int) -> Kind:
    talk, qa, last = parts.talk, parts.qa, parts.last  # type: ignore[attr-defined]
    is_host = unit.label == host
    if i < talk or i > last:
        return "host"
    if qa is not None and i >= qa:
        return "host" if is_host else "qa"
    long_or_invite = unit.end - unit.start >= HOST_ASIDE_SECONDS or QA_INVITE.search(unit.norm)
    return "host" if is_host and (long_or_invite or i > last_own) else "talk"


def _merge(blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
    for block in blocks:
        if merged and (merged[-1].kind, merged[-1].slot) == (block.kind, block.slot):
            merged[-1].end = block.end
        else:
            merged.append(Block(block.kind, block.slot, block.start, block.end))
    return merged


def _closing(blocks: list[Block], units: list[Sentence]) -> list[Block]:
    """The host's last block, when it says goodbye, belongs to the edition (slot 0)."""
    if blocks and blocks[-1].kind == "host":
        tail = [u for u in units if u.start >= blocks[-1].start - 0.01]
        if any(CLOSING.search(u.norm) for u in tail):
            blocks[-1].slot = 0
    return blocks


def _attribute(made: list, units: list[Sentence], naming: Naming, talks: list[Talk]) -> None:
    """Each passage's speaker: the name of the voice of its first unit, in its slot."""
    by_start = {round(u.start, 3): u.label for u in units}
    for passage in made:
        voice = by_start.get(round(passage.start, 3), OTHER)
        passage.speaker = naming.name(passage.slot, voice)
