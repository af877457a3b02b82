"""Voice-aware split: cut an edition into its programme slots, then each slot into its parts.

The recording is a sequence of units (sentences, split wherever the voice changes), each with
a voice label. Slot boundaries are chosen together, by dynamic programming over every way of
cutting the units into an opening and one contiguous block per slot, maximising:

- the speech of each block's own voices (its one or two dominant voices, not the host's)
  minus the speech of voices that dominate elsewhere (FOREIGN_WEIGHT),
- a bonus when a block starts with the host's voice (HOST_START), when the host names the
  slot's speakers there ("please welcome Sam Milsom", MENTION), and after a pause or applause
  (a gap with no words, PAUSE_WORTH of MENTION),
- a weak prior that a slot lasts about eight minutes (DURATION_WEIGHT on the squared log of
  the ratio: four or twelve minutes cost little, so the prior never forces eight),
- EMPTY_SLOT for a slot left empty: a programme can list more talks than the recording holds.

Inside a slot: the host's intro, the talk from the first word of its own voices, the
questions from the first turn of a voice that is neither the host nor the speakers (OTHER),
and the host's thanks after the last word of the speakers or the audience.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from bitesearch.split.diarize import OTHER
from bitesearch.split.segment import QA_INVITE, THANKS, Sentence, mention_score

FOREIGN_WEIGHT = 1.0
HOST_START = 10.0  # seconds of speech a host-led boundary is worth
MENTION = 40.0  # ... and one where the host names the slot's speakers
MENTION_WINDOW = 20.0  # an intro names the speakers within this many seconds of its start
DURATION_WEIGHT = 15.0
TYPICAL_SLOT = 480.0  # eight minutes: talk and questions
PAUSE_FULL = 4.0  # seconds of silence or applause (no words) that mark a handover in full
PAUSE_WORTH = 0.25  # ... worth a quarter of the host naming the speakers
EMPTY_SLOT = 120.0  # the cost of a slot the recording does not hold at all
MIN_OWN_SECONDS = 20.0  # less own speech than this: the slot's voice was not found
MAX_ESTIMATED = 0.95  # an estimated boundary is never presented as certain


@dataclass
class SlotSpec:
    """What a slot should hold: its speakers' names (for the mention bonus) and how many."""

    names: list[str]
    affiliations: list[str]
    title: str
    start: float | None = None  # an explicit start from the programme


@dataclass
class SlotCut:
    """A slot as found: its units [first, stop) and which voices are its own."""

    first: int
    stop: int
    own: list[int]
    own_seconds: float
    foreign_seconds: float
    mentioned: bool
    host_led: bool


def cut_slots(
    units: list[Sentence], specs: list[SlotSpec], host: int, voices: int
) -> list[SlotCut]:
    """The best cut of units into an opening and one block per slot (see the module doc).

    The table is indexed by slot, end unit and the block's leading voice, so that two
    neighbouring slots never both claim the same voice (cutting one talk in two earns nothing).
    """
    n, k_slots = len(units), len(specs)
    times = _prefix_times(units, voices, host)
    unit_starts = np.array([u.start for u in units] + [units[-1].end if units else 0.0])
    host_led = np.array([u.label == host for u in units] + [False])
    pauses = _pauses(units)
    mentions = [_mentions(units, spec, host) for spec in specs]
    anchors = [_anchor(units, spec.start) for spec in specs]
    lead_states = voices + 1  # the leading voice of a block, or `voices` for none (opening)
    best = np.full((k_slots + 1, n + 1, lead_states), NEG)
    back = np.zeros((k_slots + 1, n + 1, lead_states), dtype=int)
    came = np.zeros((k_slots + 1, n + 1, lead_states), dtype=int)  # the previous block's lead
    best[0, 0, voices] = 0.0
    for i in range(1, n + 1):  # the opening holds units [0, i): the host, no speaker
        best[0, i, voices] = _opening_score(times, i)
    for k, spec in enumerate(specs, start=1):
        first_best, first_lead, second_best = _top_two(best[k - 1])
        for j in range(n + 1):
            starts = np.arange(0, j + 1)  # starts == j: the slot is empty (not in the recording)
            scores, leads, own = _block_scores(
                times, unit_starts, starts, j, len(spec.names), host_led, mentions[k - 1] + pauses
            )
            before, previous = _before(first_best, first_lead, second_best, starts, leads, own)
            total = before + scores
            if anchors[k - 1] is not None:
                total = np.where(starts == anchors[k - 1], total + 1e6, total)
            for lead in np.unique(leads):
                mask = leads == lead
                pick = int(np.argmax(np.where(mask, total, NEG)))
                best[k, j, lead], back[k, j, lead] = total[pick], starts[pick]
                came[k, j, lead] = previous[pick]
    return _trace(back, came, best, times, units, specs, host_led, mentions, n)


NEG = -1e18


def _top_two(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per end unit: the best score, its leading voice, and the best with another voice."""
    order = np.argsort(-table, axis=1)
    rows = np.arange(table.shape[0])
    return table[rows, order[:, 0]], order[:, 0], table[rows, order[:, 1]]


def _before(
    first_best: np.ndarray,
    first_lead: np.ndarray,
    second_best: np.ndarray,
    starts: np.ndarray,
    leads: np.ndarray,
    own: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The best score up to each start, and the lead it had. Following a block led by the same
    voice forfeits this block's own speech (one talk cut in two earns nothing), but stays
    possible, so a programme with more slots than voices still gets a cut."""
    same = first_lead[starts] == leads
    repeat = first_best[starts] - own
    second = second_best[starts]
    use_second = same & (second >= repeat)
    value = np.where(same, np.maximum(repeat, second), first_best[starts])
    second_lead = np.full_like(leads, -1)  # filled by the trace from the table
    previous = np.where(
        same & ~use_second, leads, np.where(use_second, second_lead, first_lead[starts])
    )
    return value, previous


def _prefix_times(units: list[Sentence], voices: int, host: int) -> np.ndarray:
    """prefix[v, i]: seconds spoken by main voice v in units[:i] (the host counts as none)."""
    seconds = np.zeros((voices, len(units) + 1))
    for i, unit in enumerate(units):
        seconds[:, i + 1] = seconds[:, i]
        if unit.label not in (OTHER, host) and 0 <= unit.label < voices:
            seconds[unit.label, i + 1] += unit.end - unit.start
    return seconds


def _opening_score(times: np.ndarray, stop: int) -> float:
    return float(-FOREIGN_WEIGHT * times[:, stop].sum())


def _block_scores(
    times: np.ndarray,
    unit_starts: np.ndarray,
    starts: np.ndarray,
    stop: int,
    n_own: int,
    host_led: np.ndarray,
    mentions: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each candidate block's score, its leading voice (`voices` when it has none) and its
    own voices' speech."""
    spoken = times[:, stop][:, None] - times[:, starts]  # voices x candidate starts
    leads = np.where(spoken.max(axis=0) > 0, spoken.argmax(axis=0), spoken.shape[0])
    own = np.sort(spoken, axis=0)[::-1][:n_own].sum(axis=0)
    foreign = spoken.sum(axis=0) - own
    length = np.maximum(unit_starts[stop] - unit_starts[starts], 1.0)
    prior = DURATION_WEIGHT * np.log(length / TYPICAL_SLOT) ** 2
    bonus = HOST_START * host_led[starts] + MENTION * mentions[starts]
    score = own - FOREIGN_WEIGHT * foreign - prior + bonus
    empty = starts == stop
    return np.where(empty, -EMPTY_SLOT, score), leads, np.where(empty, 0.0, own)


def _mentions(units: list[Sentence], spec: SlotSpec, host: int) -> np.ndarray:
    """For each unit, how well a block starting there begins with the host naming this slot's
    speakers: 1 at the naming sentence, less for host sentences just before it (same turn)."""
    flags = np.zeros(len(units) + 1)
    if not spec.names:
        return flags
    from bitesearch.models import ProgrammeTalk

    talk = ProgrammeTalk(spec.names, spec.title, spec.affiliations)
    for j, unit in enumerate(units):
        if unit.label != host or mention_score(unit, talk) < 1.5:
            continue
        i = j
        while i >= 0 and units[i].label == host and unit.start - units[i].start <= MENTION_WINDOW:
            flags[i] = max(flags[i], 1.0 - (unit.start - units[i].start) / (2 * MENTION_WINDOW))
            i -= 1
    return flags


def _pauses(units: list[Sentence]) -> np.ndarray:
    """For each unit, the (mention-scaled) worth of the silence or applause before it: a gap
    of PAUSE_FULL seconds or more is worth PAUSE_WORTH of a spoken introduction."""
    gaps = np.array([0.0] + [b.start - a.end for a, b in itertools.pairwise(units)] + [0.0])
    return PAUSE_WORTH * np.clip(gaps / PAUSE_FULL, 0.0, 1.0)


def _anchor(units: list[Sentence], start: float | None) -> int | None:
    """The unit a slot with an explicit start must begin at (the one holding that time)."""
    if start is None or not units:
        return None
    return min(range(len(units)), key=lambda i: abs(units[i].start - start))


def _trace(
    back: np.ndarray,
    came: np.ndarray,
    best: np.ndarray,
    times: np.ndarray,
    units: list[Sentence],
    specs: list[SlotSpec],
    host_led: np.ndarray,
    mentions: list[np.ndarray],
    n: int,
) -> list[SlotCut]:
    bounds = [n]
    lead = int(np.argmax(best[len(specs), n]))
    for k in range(len(specs), 0, -1):
        start = int(back[k, bounds[-1], lead])
        previous = int(came[k, bounds[-1], lead])
        bounds.append(start)
        lead = previous if previous >= 0 else _lead_before(best[k - 1, start], lead)
    bounds.reverse()
    return [_cut(k, spec, bounds, times, units, host_led, mentions) for k, spec in enumerate(specs)]


def _lead_before(row: np.ndarray, lead: int) -> int:
    """The previous block's leading voice that the DP used: the best one unlike `lead`."""
    order = np.argsort(-row)
    return int(order[0] if order[0] != lead else order[1])


def _cut(
    k: int,
    spec: SlotSpec,
    bounds: list[int],
    times: np.ndarray,
    units: list[Sentence],
    host_led: np.ndarray,
    mentions: list[np.ndarray],
) -> SlotCut:
    first, stop = bounds[k], bounds[k + 1]
    spoken = times[:, stop] - times[:, first]
    order = [int(v) for v in np.argsort(-spoken) if spoken[v] > 0][: len(spec.names) or 1]
    own = float(spoken[order].sum()) if order else 0.0
    return SlotCut(
        first=first,
        stop=stop,
        own=order,
        own_seconds=own,
        foreign_seconds=float(spoken.sum()) - own,
        mentioned=bool(first < len(units) and mentions[k][first] > 0.5),
        host_led=bool(host_led[first]),
    )


def confidence(cut: SlotCut) -> float:
    """How sure the cut is: its own voice's share, the host leading in, the speakers named."""
    share = cut.own_seconds / max(cut.own_seconds + cut.foreign_seconds, 1e-9)
    found = 1.0 if cut.own_seconds >= MIN_OWN_SECONDS else cut.own_seconds / MIN_OWN_SECONDS
    score = 0.5 * share * found + 0.25 * cut.host_led + 0.25 * cut.mentioned
    return round(min(score, MAX_ESTIMATED), 2)


@dataclass
class SlotParts:
    """Where the parts of a slot lie, as unit indices into the slot's units."""

    talk: int | None  # first unit of the talk
    qa: int | None  # first unit of the questions
    last: int | None  # last unit of the talk and its questions


def slot_parts(units: list[Sentence], own: list[int], host: int) -> SlotParts:
    """The talk starts with the first own unit after the host's intro; the questions with the
    first turn of another voice after most of the own voices' speech; the slot ends with the
    last unit that is not the host's."""
    talk = next((i for i, u in enumerate(units) if u.label in own), None)
    if talk is None:
        talk = next((i for i, u in enumerate(units) if u.label != host), None)
    if talk is None:
        return SlotParts(None, None, None)
    last = max(i for i, u in enumerate(units) if u.label != host)
    qa = _questions(units, own, host, talk, last)
    if qa is None:  # no other voice heard: the host's invitation to ask, if the words have one
        qa, last = _invited_after(units, host, last, qa)
    return SlotParts(talk, qa, last)


def _questions(
    units: list[Sentence], own: list[int], host: int, talk: int, last: int
) -> int | None:
    found = _first_asked(units, own, host, talk, last)
    invite = next((i for i in range(talk + 1, last + 1) if QA_INVITE.search(units[i].norm)), None)
    # the speakers answered before the first voice heard as the audience's: the first question
    # sounded like them (or Whisper moved its words), so the questions start after the invite
    answered_first = (
        found is not None
        and invite is not None
        and invite < found
        and any(u.label in own for u in units[invite + 1 : found])
    )
    if answered_first and invite is not None:
        return invite + 1
    return found if found is not None else _invited(units, host, talk, last)


def _first_asked(
    units: list[Sentence], own: list[int], host: int, talk: int, last: int
) -> int | None:
    """The first turn of a voice that is neither the host's nor the speakers', once most of
    the speakers' speech is over (or straight after an invitation to ask)."""
    own_total = sum(u.end - u.start for u in units if u.label in own)
    own_so_far = 0.0
    for i in range(talk, last + 1):
        unit = units[i]
        if unit.label in own:
            own_so_far += unit.end - unit.start
            continue
        asked = unit.label != host and unit.end - unit.start >= 1.0
        invited = i > 0 and QA_INVITE.search(units[i - 1].norm) is not None
        if asked and (own_so_far >= 0.5 * own_total or invited):
            return i
    return None


def _invited_after(
    units: list[Sentence], host: int, last: int, qa: int | None
) -> tuple[int | None, int]:
    """An invitation to ask after the last non-host unit (the questions sounded like the host):
    the questions run from the next unit to the host's closing thanks."""
    invite = next((i for i in range(last + 1, len(units)) if QA_INVITE.search(units[i].norm)), None)
    if invite is None or invite + 1 >= len(units):
        return qa, last
    end = len(units) - 1
    while end > invite + 1 and THANKS.search(units[end].norm.strip()):
        end -= 1
    return invite + 1, end


def _invited(units: list[Sentence], host: int, talk: int, last: int) -> int | None:
    """No other voice was heard: the unit after an invitation to ask ("any questions for
    Sam?"), whoever's voice it sounded like."""
    for i in range(talk + 1, last):
        if QA_INVITE.search(units[i].norm):
            return i + 1
    return None


def duration_penalty(seconds: float) -> float:
    """The prior's cost of a slot this long (for tests and the README)."""
    return DURATION_WEIGHT * math.log(max(seconds, 1.0) / TYPICAL_SLOT) ** 2
