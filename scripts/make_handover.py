"""Generate tests/fixtures/handover.mp3 and handover.json: one slot's handovers in real speech.

About 42 seconds with three of the sample's voices: the host (piper joe, low) names a speaker,
the speaker (piper joe, mid) talks for about twenty seconds, the host asks for questions, an
audience member (espeak-ng, with a room echo) asks one, the speaker answers, the host thanks
them. handover.json has the sample's truth format (every utterance's voice, speaker, slot, kind
and times). Deterministic, like the sample::

    .venv/bin/python scripts/make_handover.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
from make_sample import (
    SEED,
    VOICES,
    Directive,
    Item,
    Utterance,
    build_timeline,
    encode_mp3,
    mix,
    truth_record,
)
from voicesynth import Synth

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
LINES = [
    ("host", "Please welcome Sam Milsom from St Helens Council, who will talk about open data."),
    ("sam", "Thanks for having me. At the council we now publish more than two hundred open "
            "datasets, from bin collections to planning applications."),
    ("sam", "Every dataset has an owner, a plain English description and an update schedule."),
    ("sam", "The hardest part was convincing services that publishing their data was safe."),
    ("sam", "My advice is to start small, and keep one useful dataset up to date."),
    ("host", "Thank you. Any questions for Sam?"),
    ("audience1", "How do you decide which datasets to publish first?"),
    ("sam", "We ask residents what they need, and start with the most requested ones."),
    ("sam", "Freedom of information requests are a great guide."),
    ("host", "Thank you Sam."),
]  # fmt: skip


def items() -> list[Item]:
    return [Directive("slot", 1), *(Utterance(voice, text) for voice, text in LINES)]


def main() -> None:
    onnxruntime.set_seed(SEED)
    rng = np.random.default_rng(SEED)
    timeline = build_timeline(items(), VOICES, Synth(), rng)
    track = mix(timeline, rng)
    OUT.mkdir(parents=True, exist_ok=True)
    encode_mp3(track, OUT / "handover.mp3")
    truth = truth_record(timeline, VOICES, len(track))
    (OUT / "handover.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}/handover.mp3 ({truth['duration']} s) and handover.json")


if __name__ == "__main__":
    main()
