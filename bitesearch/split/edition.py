"""The one entry point of splitting: an edition's transcript into talks, blocks and passages.

With voices (see `voices.py`, `diarize.py`) the split is voice-aware (`voicesplit.py`); without,
it is made from the words alone (`segment.py`).
"""

from __future__ import annotations

from bitesearch.models import Programme, Split, Transcript
from bitesearch.split import passages
from bitesearch.split.diarize import Diarization
from bitesearch.split.segment import sentences, split_by_words


def split_edition(
    transcript: Transcript, programme: Programme | None, voices: Diarization | None = None
) -> Split:
    """Talks, host/talk/qa blocks and passages (each saying who spoke it)."""
    if voices is not None and transcript.words():
        from bitesearch.split.voicesplit import split_by_voice

        return split_by_voice(transcript, programme, voices)
    split = split_by_words(transcript, programme)
    split.passages = passages.build(sentences(transcript), split.blocks)
    passages.attribute(split.passages, split.talks)
    return split


def expected_voices(programme: Programme | None) -> int | None:
    """How many main voices a programme implies: its distinct speakers and the host."""
    if not programme or not programme.talks:
        return None
    return len({name for talk in programme.talks for name in talk.speakers}) + 1
