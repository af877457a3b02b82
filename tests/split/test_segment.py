"""Splitting an edition into talks: on the sample against its truth, and on made-up transcripts."""

from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.models import Programme, ProgrammeTalk, Segment, Transcript, Word
from bitesearch.split.edition import split_edition
from bitesearch.split.passages import MAX_SECONDS, build
from bitesearch.split.segment import sentences


def transcript(lines: list[tuple[float, float, str]]) -> Transcript:
    """A transcript whose words are spread evenly over each line's time."""
    segments = []
    for start, end, text in lines:
        parts = text.split()
        step = (end - start) / len(parts)
        words = [
            Word(start + i * step, start + (i + 1) * step, " " + p) for i, p in enumerate(parts)
        ]
        segments.append(Segment(start, end, text, words))
    return Transcript("test", "none", {}, "en", lines[-1][1] + 5, segments)


PROGRAMME = Programme(
    series="Data Bites",
    edition=1,
    talks=[
        ProgrammeTalk(["Ada Lovelace"], "Engines", ["Analytical Society"]),
        ProgrammeTalk(["Grace Hopper"], "Compilers", ["Navy"]),
    ],
)

LINES = [
    (0.0, 5.0, "Good evening and welcome to the show."),
    (6.0, 10.0, "Please welcome Ada Lovelace from the Analytical Society."),
    (12.0, 20.0, "Hello. Engines can compute many things beyond numbers."),
    (20.5, 60.0, "Cards hold the program and the store holds the numbers we need."),
    (61.0, 63.0, "Any questions for Ada?"),
    (64.0, 67.0, "Can it compose music?"),
    (67.5, 72.0, "In principle it could, yes."),
    (73.0, 74.0, "Thank you Ada."),
    (76.0, 80.0, "Next please welcome Grace Hopper from the Navy."),
    (82.0, 120.0, "Hi. Compilers turn words into machine code so people can program."),
    (121.0, 123.0, "Do we have time for a question?"),
    (124.0, 127.0, "Who found the first bug?"),
    (127.5, 131.0, "A moth did, in a relay."),
    (132.0, 136.0, "Thank you Grace. That's all for tonight, see you next month."),
]


def test_text_anchors_find_each_talk() -> None:
    split = split_edition(transcript(LINES), PROGRAMME)
    assert split.method == "text-anchors"
    first, second = split.talks
    assert (first.start, first.qa_start, first.end) == (12.0, 64.0, 72.0)
    assert (second.start, second.qa_start, second.end) == (82.0, 124.0, 131.0)
    assert first.estimated and 0 < first.confidence <= 1
    kinds = [(b.kind, b.slot) for b in split.blocks]
    assert kinds[0] == ("host", 0) and kinds[-1] == ("host", 0)
    assert ("qa", 1) in kinds and ("qa", 2) in kinds


def test_explicit_times_win() -> None:
    timed = Programme(
        talks=[
            ProgrammeTalk(["Ada Lovelace"], start=11.0, end=75.0),
            ProgrammeTalk(["Grace Hopper"], start=81.0),
        ]
    )
    split = split_edition(transcript(LINES), timed)
    assert split.method == "programme-times"
    assert [t.start for t in split.talks] == [11.0, 81.0]
    assert split.talks[0].end == 75.0
    assert not any(t.estimated for t in split.talks)


def test_a_talk_never_introduced_is_laid_out_between_its_neighbours() -> None:
    lines = [(t0, t1, text.replace("Grace Hopper", "our next guest")) for t0, t1, text in LINES]
    split = split_edition(transcript(lines), PROGRAMME)
    second = split.talks[1]
    assert second.confidence < split.talks[0].confidence
    starts = {s.start for s in sentences(transcript(lines))}
    assert second.start in starts  # snapped to a pause, not placed mid-sentence
    assert split.talks[0].start < second.start


def test_no_programme_is_one_untitled_talk() -> None:
    split = split_edition(transcript(LINES), None)
    assert split.method == "whole-recording"
    assert len(split.talks) == 1
    assert (split.talks[0].start, split.talks[0].end) == (0.0, 136.0)


def test_abbreviations_do_not_end_sentences() -> None:
    said = sentences(transcript([(0.0, 4.0, "Sam is from St. Helens Council today.")]))
    assert len(said) == 1


def test_passages_stay_inside_blocks_and_under_a_minute() -> None:
    long_lines = [(i * 10.0, i * 10.0 + 9.0, f"Sentence number {i} about data.") for i in range(30)]
    made = transcript(long_lines)
    split = split_edition(made, None)
    passages = build(sentences(made), split.blocks)
    assert all(p.end - p.start <= MAX_SECONDS for p in passages)
    assert " ".join(p.text for p in passages).count("Sentence") == 30


@pytest.mark.parametrize("slot", [1, 2, 3])
def test_sample_talks_match_the_truth(sample_archive: Path, truth: dict, slot: int) -> None:
    split = Archive(sample_archive).load_split("data-bites-056")
    assert split is not None and split.method == "voices"
    talk = split.talks[slot - 1]
    said = [u for u in truth["utterances"] if u["slot"] == slot and u["kind"] != "host"]
    asked = next(u for u in said if u["voice"].startswith("audience"))
    assert talk.start == pytest.approx(said[0]["start"], abs=2.0)
    assert talk.qa_start == pytest.approx(asked["start"], abs=2.0)
    assert talk.end == pytest.approx(said[-1]["end"], abs=2.0)


def test_sample_passages_know_their_kind(sample_archive: Path, truth: dict) -> None:
    split = Archive(sample_archive).load_split("data-bites-056")
    assert split is not None
    for passage in split.passages:
        middle = (passage.start + passage.end) / 2
        near = min(truth["utterances"], key=lambda u: abs((u["start"] + u["end"]) / 2 - middle))
        if passage.kind == "qa":
            assert near["kind"] == "qa"
        if passage.kind == "talk":
            assert near["kind"] == "talk" and near["slot"] == passage.slot


def test_sample_without_a_programme_finds_its_talks(sample_archive: Path, truth: dict) -> None:
    """Voices alone: each talk found, co-presenters together, named Speaker N by appearance."""
    from bitesearch.split.diarize import diarize
    from bitesearch.split.voices import load_windows

    archive = Archive(sample_archive)
    transcript = archive.load_transcript("data-bites-056")
    assert transcript is not None
    windows = load_windows(archive.edition_dir("data-bites-056") / "voices.npz", transcript.key)
    assert windows is not None
    split = split_edition(transcript, None, diarize(windows, transcript.words(), None))
    assert [t.speakers for t in split.talks] == [
        ["Speaker 2"],
        ["Speaker 3", "Speaker 4"],
        ["Speaker 5"],
    ]
    for talk in split.talks:
        said = [u for u in truth["utterances"] if u["slot"] == talk.slot and u["kind"] != "host"]
        assert talk.start == pytest.approx(said[0]["start"], abs=2.0)
        assert talk.end == pytest.approx(said[-1]["end"], abs=2.0)
