"""How well the real pipeline splits long editions into talks: voices against words, in one run.

    .venv/bin/python benchmarks/segmentation.py

Generates (once; cached in benchmarks/.cache/) three synthetic editions of 30 minutes or more
with known truth (`editions.py`: distinct voices for the host, the speakers and the audience,
talks of 4 to 12 minutes, one co-presented slot, applause, room tone), ingests each with its
programme (no times) into a fresh archive, then splits the same transcript again from the words
alone (a copy of the archive, so Whisper runs once per edition), and prints against the truth:

- talk boundary error (s): each talk's start vs the truth's first talk word of its slot, and
  its end vs the last word of its questions (before the host's thanks); median and p90;
- qa_start error (s) vs the first audience question (a talk with no qa_start counts as inf);
- speaker attribution: the share of speech time (every truth utterance, as far as a passage
  covers it) whose passage names the right person: a speaker's name (a joint "A and B" counts
  for both), "host" or "audience";
- segmentation time as a share of the audio's duration (the ingest's "segment" stage: decoding,
  voice embeddings and the split; the machine's load average is printed beside it, since the
  embeddings take 2-5 times longer on a busy 2-core machine);

per edition and over all editions, with the issue's goals beside them, and the voice confusions
that cost the most attribution time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import editions
import numpy as np

from bitesearch.archive import Archive
from bitesearch.ingest.recording import IngestOptions, ingest
from bitesearch.models import IngestReport, Split

GOALS = {"boundary median": 2.0, "boundary p90": 10.0, "qa median": 5.0, "attribution": 0.95,
         "segment share": 0.02}  # fmt: skip
METHODS = ("voices", "words")


@dataclass
class Scores:
    """One method's figures on one edition."""

    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    qa: list[float] = field(default_factory=list)
    right: float = 0.0  # speech seconds whose passage names the right person
    covered: float = 0.0  # speech seconds inside some passage
    speech: float = 0.0
    segment: float = 0.0  # seconds the split took
    load: float = 0.0  # the machine's 1-minute load average after the split
    duration: float = 0.0
    method: str = ""
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)


def truth_slots(truth: dict) -> dict[int, dict[str, float]]:
    """Per slot: the first talk word, the last word before the host's thanks, the first question."""
    slots: dict[int, dict[str, float]] = {}
    for u in truth["utterances"]:
        if u["slot"] == 0:
            continue
        s = slots.setdefault(u["slot"], {})
        if u["kind"] == "talk" and "start" not in s:
            s["start"] = u["start"]
        if u["voice"] != "host":
            s["end"] = u["end"]
        if u["speaker"] == "audience" and "qa" not in s:
            s["qa"] = u["start"]
    return slots


def expected_speaker(u: dict) -> str:
    return "host" if u["voice"] == "host" else u["speaker"]


def score(truth: dict, split: Split, report: IngestReport) -> Scores:
    scores = Scores(segment=report.stages["segment"], duration=report.duration)
    scores.load = os.getloadavg()[0]
    scores.method = split.method
    talks = {t.slot: t for t in split.talks}
    for slot, s in truth_slots(truth).items():
        talk = talks.get(slot)
        if talk is None:
            scores.starts.append(float("inf"))
            scores.ends.append(float("inf"))
            scores.qa.append(float("inf"))
            continue
        scores.starts.append(abs(talk.start - s["start"]))
        scores.ends.append(abs(talk.end - s["end"]))
        scores.qa.append(abs(talk.qa_start - s["qa"]) if talk.qa_start is not None else np.inf)
    for u in truth["utterances"]:
        want = expected_speaker(u)
        scores.speech += u["end"] - u["start"]
        for p in split.passages:
            overlap = min(u["end"], p.end) - max(u["start"], p.start)
            if overlap <= 0:
                continue
            scores.covered += overlap
            if want in p.speaker.split(" and "):
                scores.right += overlap
            else:
                scores.confusions[(want, p.speaker or "(none)")] += overlap
    return scores


def run_edition(plan: editions.EditionPlan, work: Path) -> dict[str, Scores]:
    """Ingest one edition with voices, then split its transcript again from the words alone."""
    folder = editions.ensure(plan)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    audio, programme = folder / "edition.mp3", folder / "programme.toml"
    out = {}
    by_voice = Archive(work / plan.id / "voices")
    report = ingest(by_voice, audio, IngestOptions(programme=programme))
    split = by_voice.load_split(report.edition_id)
    assert split is not None
    out["voices"] = score(truth, split, report)
    log(f"{plan.id}: voices done; stages {report.stages}")
    by_words = Archive(work / plan.id / "words")
    shutil.copytree(by_voice.root, by_words.root)  # the transcript is reused, not redone
    report = ingest(by_words, audio, IngestOptions(programme=programme, voices=False))
    split = by_words.load_split(report.edition_id)
    assert split is not None
    out["words"] = score(truth, split, report)
    log(f"{plan.id}: words done; stages {report.stages}")
    return out


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90)) if values else float("nan")


def summary(scores: list[Scores]) -> dict[str, float]:
    bounds = [e for s in scores for e in s.starts + s.ends]
    qa = [e for s in scores for e in s.qa]
    return {
        "boundary median": statistics.median(bounds),
        "boundary p90": p90(bounds),
        "qa median": statistics.median(qa),
        "attribution": sum(s.right for s in scores) / max(sum(s.covered for s in scores), 1e-9),
        "segment share": sum(s.segment for s in scores) / sum(s.duration for s in scores),
    }


def fmt(name: str, value: float) -> str:
    if name == "attribution":
        return f"{value:.1%}"
    if name == "segment share":
        return f"{value:.4f}"
    return f"{value:.1f}"


def print_rows(results: dict[str, dict[str, Scores]]) -> None:
    print("per edition (errors in seconds: median start / median end / median qa_start;")
    print("             attribution; segment stage as a share of the audio's duration):")
    for edition_id, by_method in results.items():
        first = by_method["voices"]
        print(f"  {edition_id}  {first.duration / 60:.1f} min, {len(first.starts)} talks")
        for method in METHODS:
            s = by_method[method]
            print(
                f"    {method:<6} ({s.method:<12}) start {statistics.median(s.starts):6.1f}  "
                f"end {statistics.median(s.ends):6.1f}  qa {statistics.median(s.qa):6.1f}  "
                f"attribution {s.right / max(s.covered, 1e-9):6.1%}  "
                f"segment {s.segment / s.duration:.4f} (load {s.load:.1f})"
            )
            slots = "  ".join(
                f"{a:.1f}/{b:.1f}/{c:.1f}" for a, b, c in zip(s.starts, s.ends, s.qa, strict=True)
            )
            print(f"           per talk start/end/qa: {slots}")


def print_summary(results: dict[str, dict[str, Scores]]) -> None:
    sums = {m: summary([r[m] for r in results.values()]) for m in METHODS}
    talks = sum(len(r["voices"].starts) for r in results.values())
    print(f"all {len(results)} editions, {talks} talks:")
    print(f"  {'':<34} {'voices':>9} {'words':>9} {'goal':>9}")
    for name, goal in GOALS.items():
        op = ">=" if name == "attribution" else "<="
        print(
            f"  {name:<34} {fmt(name, sums['voices'][name]):>9} "
            f"{fmt(name, sums['words'][name]):>9} {op + ' ' + fmt(name, goal):>9}"
        )
    coverage = sum(r["voices"].covered for r in results.values()) / sum(
        r["voices"].speech for r in results.values()
    )
    print(f"  speech inside a passage (voices): {coverage:.1%}")


def print_confusions(results: dict[str, dict[str, Scores]]) -> None:
    print("attribution lost, voices split (truth speaker -> passage speaker: seconds):")
    for edition_id, by_method in results.items():
        worst = by_method["voices"].confusions.most_common(5)
        text = "; ".join(f"{a} -> {b}: {t:.0f}" for (a, b), t in worst) or "none"
        print(f"  {edition_id}: {text}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bitesearch-segmentation-"))
    results = {}
    for plan in editions.EDITIONS:
        log(f"{plan.id}: generating (unless cached) and ingesting")
        results[plan.id] = run_edition(plan, work)
    print_rows(results)
    print_summary(results)
    print_confusions(results)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
