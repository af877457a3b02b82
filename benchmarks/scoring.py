"""How close a transcript is to what was said: word error rate after Whisper's normalisation."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _normaliser() -> Any:
    from whisper.normalizers import EnglishTextNormalizer  # imports torch: only when scoring

    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    """Lower case, no punctuation, numbers as digits, British and American spellings alike
    (openai-whisper's EnglishTextNormalizer, the one its published WERs use)."""
    return str(_normaliser()(text))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of hypothesis against reference (0.0 is perfect; can exceed 1.0)."""
    import jiwer

    ref = normalise(reference)
    if not ref.split():
        raise ValueError("the reference has no words: word error rate is undefined")
    return float(jiwer.wer(ref, normalise(hypothesis)))
