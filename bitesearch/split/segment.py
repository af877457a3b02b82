"""Split a transcript into its talks from its words alone: host blocks, talks, questions.

This is the split used when voices are not available (`split.py` chooses). It works in one of
three ways, recorded as the split's `method`:

- "programme-times": the programme gives start times; they are used as they are.
- "text-anchors": the programme names the talks but gives no times. The host names each speaker
  before their talk ("please welcome Sam Milsom from St Helens Council"), so the sentences that
  mention a slot's speakers, in programme order, anchor its start (a monotonic best match over the
  whole transcript). A slot whose names are never heard is laid out between its neighbours and
  snapped to a pause. Every talk found this way is marked `estimated`, with a confidence.
- "whole-recording": no programme talks: one untitled talk from the first word to the last.

Within a talk, the host's invitation ("any questions for Sam?") marks where questions start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from bitesearch.models import Block, Kind, Programme, ProgrammeTalk, Split, Talk, Transcript, Word

SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")
ABBREVIATIONS = {"st.", "dr.", "mr.", "mrs.", "ms.", "prof.", "no.", "vs.", "e.g.", "i.e.", "etc."}
SENTENCE_GAP = 1.5  # seconds of silence that end a sentence even without punctuation
SLOT_SECONDS = 8 * 60  # the rule of thumb when nothing else is known: 8 minutes a slot
NAME_MATCH = 0.8  # difflib ratio for a heard word to count as a name ("Milsom" ~ "Wilson")
ANCHOR_MIN = 1.5  # the least anchor score that counts as the host naming a slot
CLOSING_WINDOW = 120.0  # the host's closing words are looked for in the last two minutes only
INTRO_RUN = 30.0  # seconds before an anchor in which earlier mentions belong to the same intro

INTRO_CUES = re.compile(
    r"\b(welcome|introduce|next|first|second|third|fourth|last|final|speaker|speakers|up|"
    r"please|over to|hand over|joining us|talk|talking|present|presenting)\b"
)
THANKS = re.compile(
    r"^(thank|thanks|great|brilliant|wonderful|fantastic|lovely|a round of applause|"
    r"give .* a (big )?(hand|round))",
)
QA_INVITE = re.compile(
    r"\b(any questions|questions for|question for|time for (a|one|two|some|a few|a couple of)"
    r" questions?|take (a|some|any) questions?|questions from the (floor|audience|room|chat)|"
    r"open (it|this) up|(has|have) (anyone|anybody) (got )?(a|any) questions?)\b"
)
CLOSING = re.compile(
    r"\b((that'?s|that is) all for (tonight|today|this evening|now)|see you (all )?(next|at|in)|"
    r"thank you (all|everyone) for "
    r"(coming|joining)|thanks (all|everyone) for (coming|joining)|good ?night|next month|"
    r"next edition|next time)\b"
)
STOPWORDS = {"the", "and", "for", "from", "with", "our", "council", "nhs", "of", "a", "in"}


@dataclass
class Sentence:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    label: int = 0  # the voice that speaks it (see diarize.py)

    @property
    def norm(self) -> str:
        return re.sub(r"[^a-z0-9' ]+", " ", self.text.lower())

    @property
    def tokens(self) -> list[str]:
        return self.norm.split()


def sentences(transcript: Transcript, labels: list[int] | None = None) -> list[Sentence]:
    """The transcript's words regrouped into sentences (by punctuation and pauses); with a
    voice label per word, a sentence also ends wherever the voice changes."""
    result: list[Sentence] = []
    current: list[Word] = []
    words = transcript.words()
    labels = labels or [0] * len(words)
    for i, word in enumerate(words):
        current.append(word)
        last = i + 1 == len(words)
        next_gap = 0.0 if last else words[i + 1].start - word.end
        voice_changes = not last and labels[i + 1] != labels[i]
        if _ends_sentence(word.text) or next_gap >= SENTENCE_GAP or voice_changes:
            result.append(_sentence(current, labels[i]))
            current = []
    if current:
        result.append(_sentence(current, labels[-1]))
    return result


def _ends_sentence(text: str) -> bool:
    token = text.strip()
    return bool(SENTENCE_END.search(token)) and token.lower() not in ABBREVIATIONS


def _sentence(words: list[Word], label: int = 0) -> Sentence:
    text = "".join(w.text for w in words).strip()
    return Sentence(words[0].start, words[-1].end, text, list(words), label)


def split_by_words(transcript: Transcript, programme: Programme | None) -> Split:
    """Cut a transcript into talks and blocks from its words alone (see the module doc)."""
    sents = sentences(transcript)
    talks_in_programme = programme.talks if programme else []
    if not talks_in_programme or not sents:
        return _whole_recording(sents, programme, transcript.duration)
    if all(t.start is not None for t in talks_in_programme):
        starts = [float(t.start or 0.0) for t in talks_in_programme]
        return _assemble(sents, talks_in_programme, starts, None, transcript.duration)
    anchors = find_anchors(sents, talks_in_programme)
    starts, confidences = _lay_out(sents, talks_in_programme, anchors, transcript.duration)
    return _assemble(sents, talks_in_programme, starts, confidences, transcript.duration)


def _whole_recording(sents: list[Sentence], programme: Programme | None, duration: float) -> Split:
    start = sents[0].start if sents else 0.0
    end = sents[-1].end if sents else duration
    title = programme.title if programme else ""
    talk = Talk(slot=1, title=title, speakers=[], affiliations=[], start=start, end=end)
    return Split("whole-recording", [talk], [Block("talk", 1, start, end)], [])


def mention_score(sentence: Sentence, talk: ProgrammeTalk) -> float:
    """How strongly a sentence names this talk's speakers (0 when it names none of them)."""
    tokens = sentence.tokens
    score = 0.0
    for name in talk.speakers:
        parts = [p.lower() for p in re.findall(r"[A-Za-z']+", name) if len(p) > 1]
        for weight, part in zip((1.5, 2.0), (parts[0], parts[-1]) if parts else (), strict=False):
            if any(_similar(part, t) for t in tokens):
                score += weight
    if score == 0.0:
        return 0.0
    extra = {w.lower() for a in [*talk.affiliations, talk.title] for w in re.findall(r"\w+", a)}
    score += 0.5 * len((extra - STOPWORDS) & set(tokens))
    return score + (1.0 if INTRO_CUES.search(sentence.norm) else 0.0)


def _similar(a: str, b: str) -> bool:
    return a == b or (len(a) > 3 and SequenceMatcher(None, a, b).ratio() >= NAME_MATCH)


def find_anchors(sents: list[Sentence], talks: list[ProgrammeTalk]) -> list[int | None]:
    """For each talk, the sentence that introduces it (in programme order), or None."""
    scores = [[mention_score(s, t) for s in sents] for t in talks]
    best = _monotonic_best(scores)
    return [_back_off(sents, scores[k], i, best[:k]) if i is not None else None
            for k, i in enumerate(best)]  # fmt: skip


def _monotonic_best(scores: list[list[float]]) -> list[int | None]:
    """Strictly increasing sentence indices (or None) maximising the summed anchor scores."""
    n = len(scores[0])
    # table[k][i]: best total for talks k.. using sentences i..; choice[k][i]: the pick or None
    table = [[0.0] * (n + 1) for _ in range(len(scores) + 1)]
    choice: list[list[int | None]] = [[None] * (n + 1) for _ in range(len(scores))]
    for k in range(len(scores) - 1, -1, -1):
        best_here, best_pick = table[k + 1][n], None
        for i in range(n - 1, -1, -1):
            take = scores[k][i] + table[k + 1][i + 1] if scores[k][i] >= ANCHOR_MIN else -1.0
            if take > best_here:
                best_here, best_pick = take, i
            elif best_pick is None and table[k + 1][i] > best_here:
                best_here = table[k + 1][i]
            table[k][i], choice[k][i] = best_here, best_pick
    picks: list[int | None] = []
    i = 0
    for k in range(len(scores)):
        pick = choice[k][i] if i < n else None
        picks.append(pick)
        if pick is not None:
            i = pick + 1
    return picks


def _back_off(sents: list[Sentence], scores: list[float], i: int, before: list[int | None]) -> int:
    """Move an anchor back to the first mention of the same intro (the host speaks first)."""
    floor = max((b for b in before if b is not None), default=-1)
    j = i
    while j - 1 > floor and sents[i].start - sents[j - 1].start <= INTRO_RUN:
        if scores[j - 1] >= ANCHOR_MIN:
            j -= 1
            continue
        break
    return j


def _lay_out(
    sents: list[Sentence], talks: list[ProgrammeTalk], anchors: list[int | None], duration: float
) -> tuple[list[float], list[float]]:
    """Each talk's intro start: the anchor, an explicit time, or a guess snapped to a pause."""
    starts: list[float | None] = []
    confidences: list[float] = []
    for talk, anchor in zip(talks, anchors, strict=True):
        if talk.start is not None:
            starts.append(talk.start)
            confidences.append(1.0)
        elif anchor is not None:
            starts.append(sents[anchor].start)
            score = mention_score(sents[anchor], talk)
            confidences.append(round(min(0.9, 0.4 + score / 10), 2))
        else:
            starts.append(None)
            confidences.append(0.2)
    return _fill_gaps(sents, starts, duration), confidences


def _fill_gaps(sents: list[Sentence], starts: list[float | None], duration: float) -> list[float]:
    """Guess missing starts: evenly between known neighbours (8 minutes a slot at the ends)."""
    filled: list[float] = []
    for k, value in enumerate(starts):
        if value is not None:
            filled.append(value)
            continue
        later = [(j, v) for j, v in enumerate(starts) if j > k and v is not None]
        filled.append(_snap(sents, _guess(k, filled, later, len(starts), sents[0].start, duration)))
    return filled


def _guess(
    k: int,
    filled: list[float],
    later: list[tuple[int, float]],
    slots: int,
    first_speech: float,
    duration: float,
) -> float:
    if not filled and not later:
        return first_speech
    if not filled:
        next_k, next_start = later[0]
        return max(first_speech, next_start - SLOT_SECONDS * (next_k - k))
    if not later:
        return filled[-1] + min(SLOT_SECONDS, (duration - filled[-1]) / (slots - k + 1))
    next_k, next_start = later[0]
    return filled[-1] + (next_start - filled[-1]) / (next_k - k + 1)


def _snap(sents: list[Sentence], t: float) -> float:
    """The sentence start (a pause) nearest to t."""
    return min((s.start for s in sents), key=lambda start: abs(start - t))


def _assemble(
    sents: list[Sentence],
    talks: list[ProgrammeTalk],
    intro_starts: list[float],
    confidences: list[float] | None,
    duration: float,
) -> Split:
    """Blocks and talks from each slot's intro start: host intro, talk, invite, questions."""
    explicit = confidences is None
    bounds = [*intro_starts, _closing_start(sents, intro_starts[-1]) or duration + 1.0]
    blocks: list[Block] = []
    result: list[Talk] = []
    opening = [s for s in sents if s.end <= bounds[0] + 0.01]
    if opening and not explicit:
        blocks.append(Block("host", 0, opening[0].start, opening[-1].end))
    for k, talk in enumerate(talks):
        slot_sents = [s for s in sents if bounds[k] - 0.01 <= s.start < bounds[k + 1] - 0.01]
        if explicit and talk.end is not None:
            slot_sents = [s for s in slot_sents if s.start < talk.end]
        made = _slot(k + 1, talk, slot_sents, explicit, bounds[k])
        confidence = 1.0 if explicit or confidences is None else confidences[k]
        made_talk, made_blocks = made
        made_talk.confidence = confidence
        made_talk.estimated = not explicit or talk.start is None
        if explicit and talk.end is not None:
            made_talk.end = talk.end
        result.append(made_talk)
        blocks.extend(made_blocks)
    closing = [s for s in sents if s.start >= bounds[-1] - 0.01]
    if closing:
        blocks.append(Block("host", 0, closing[0].start, closing[-1].end))
    return Split("programme-times" if explicit else "text-anchors", result, blocks, [])


def _slot(
    slot: int, talk: ProgrammeTalk, sents: list[Sentence], explicit: bool, start: float
) -> tuple[Talk, list[Block]]:
    """One slot's talk and blocks: [host intro] talk [host invite] qa [host thanks]."""
    intro = 0 if explicit else _intro_length(sents, talk)
    thanks = _thanks_length(sents[intro:])
    body = sents[intro : len(sents) - thanks]
    blocks: list[Block] = []
    if intro:
        blocks.append(Block("host", slot, sents[0].start, sents[intro - 1].end))
    invite = next((i for i, s in enumerate(body) if i > 0 and QA_INVITE.search(s.norm)), None)
    talk_part = body[:invite] if invite is not None else body
    qa_part = body[invite + 1 :] if invite is not None else []
    talk_start = talk_part[0].start if talk_part else (talk.start or start)
    talk_end = talk_part[-1].end if talk_part else talk_start
    if talk_part:
        blocks.append(Block("talk", slot, talk_start, talk_end))
    if invite is not None:
        blocks.append(Block("host", slot, body[invite].start, body[invite].end))
    if qa_part:
        blocks.append(Block("qa", slot, qa_part[0].start, qa_part[-1].end))
    if thanks:
        blocks.append(Block("host", slot, sents[-thanks].start, sents[-1].end))
    made = Talk(
        slot=slot,
        title=talk.title,
        speakers=list(talk.speakers),
        affiliations=list(talk.affiliations),
        start=talk_start if not explicit else (talk.start or talk_start),
        end=(qa_part or talk_part)[-1].end if (qa_part or talk_part) else talk_end,
        qa_start=qa_part[0].start if qa_part else None,
    )
    return made, blocks


def _intro_length(sents: list[Sentence], talk: ProgrammeTalk) -> int:
    """How many leading sentences are the host's introduction (those naming the speakers)."""
    count = 0
    for s in sents:
        if mention_score(s, talk) >= ANCHOR_MIN and s.start - sents[0].start <= INTRO_RUN:
            count += 1
        else:
            break
    return min(count, max(len(sents) - 1, 0)) if count else 0


def _thanks_length(sents: list[Sentence]) -> int:
    """How many trailing sentences are the host's thanks ("Thank you Sam. Great talk.")."""
    count = 0
    for s in reversed(sents[1:]):
        if THANKS.search(s.norm.strip()) and len(s.tokens) <= 12:
            count += 1
        else:
            break
    return count


def _closing_start(sents: list[Sentence], last_intro: float) -> float | None:
    """Where the host's closing words start, after the last talk (None if there are none)."""
    final = sents[-1].end if sents else 0.0
    tail = [s for s in sents if s.start > max(last_intro + 30.0, final - CLOSING_WINDOW)]
    for i, s in enumerate(tail):
        if CLOSING.search(s.norm):
            j = i
            while (
                j > 0 and THANKS.search(tail[j - 1].norm.strip()) and len(tail[j - 1].tokens) <= 12
            ):
                j -= 1
            return tail[j].start
    return None


def kind_at(blocks: list[Block], t: float) -> tuple[Kind, int]:
    """The kind and slot of the block that holds time t (host between blocks)."""
    for block in blocks:
        if block.start - 0.01 <= t <= block.end + 0.01:
            return block.kind, block.slot
    before = [b for b in blocks if b.end <= t]
    return "host", before[-1].slot if before else 0
