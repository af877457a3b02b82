"""Passages: the units the index searches, about 30 to 60 seconds of one kind of speech.

A passage is cut at a sentence end and never spans two blocks (host, talk, questions), so every
hit knows which talk it is in and whether it was presented or asked.
"""

from __future__ import annotations

from bitesearch.models import Block, Passage, Talk
from bitesearch.split.segment import Sentence, kind_at

TARGET_SECONDS = 30.0  # close a passage at the first sentence end after this
MAX_SECONDS = 60.0  # never grow a passage past this (unless one sentence is longer)


def build(sents: list[Sentence], blocks: list[Block]) -> list[Passage]:
    passages: list[Passage] = []
    current: list[Sentence] = []
    current_place: tuple[str, int] | None = None
    for sentence in sents:
        place = kind_at(blocks, (sentence.start + sentence.end) / 2)
        too_long = current and sentence.end - current[0].start > MAX_SECONDS
        new_voice = current and sentence.label != current[-1].label
        if current and (place != current_place or too_long or new_voice):
            passages.append(_passage(current, current_place))
            current = []
        current.append(sentence)
        current_place = place
        if current[-1].end - current[0].start >= TARGET_SECONDS:
            passages.append(_passage(current, current_place))
            current = []
    if current:
        passages.append(_passage(current, current_place))
    return passages


def attribute(passages: list[Passage], talks: list[Talk]) -> None:
    """Say who spoke each passage, from the words alone: the host spoke host blocks and a
    talk's speakers spoke its talk. Who spoke in the questions is left unknown ("")."""
    speakers = {t.slot: " and ".join(t.speakers) for t in talks}
    for p in passages:
        if p.kind == "host":
            p.speaker = "host"
        elif p.kind == "talk":
            p.speaker = speakers.get(p.slot, "")


def _passage(sents: list[Sentence], place: tuple[str, int] | None) -> Passage:
    kind, slot = place or ("talk", 1)
    text = " ".join(s.text for s in sents)
    return Passage(slot=slot, kind=kind, start=sents[0].start, end=sents[-1].end, text=text)  # type: ignore[arg-type]
