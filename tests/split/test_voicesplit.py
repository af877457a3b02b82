"""The voice-aware split's logic on made-up voices: turns, slot boundaries, questions, names.

The voices here are constructed (each window's vector, each word's voice) so that every rule
can be checked exactly; the real encoder on real speech is tested on the sample edition.
"""

from __future__ import annotations

import numpy as np
import pytest

from bitesearch.models import Programme, ProgrammeTalk, Segment, Transcript, Word
from bitesearch.split.diarize import OTHER, Diarization, diarize
from bitesearch.split.edition import split_edition
from bitesearch.split.slots import duration_penalty
from bitesearch.split.voices import VoiceWindows
from bitesearch.split.voicesplit import snap_to_sentences

HOST, SAM, PRIYA, TOM, ALEX = 0, 1, 2, 3, 4


def script(lines: list[tuple[float, float, int, str]]) -> tuple[Transcript, Diarization]:
    """A transcript and its voices from (start, end, voice, text) lines."""
    segments, labels = [], []
    for start, end, voice, text in lines:
        parts = text.split()
        step = (end - start) / len(parts)
        words = [
            Word(start + i * step, start + (i + 1) * step, " " + p) for i, p in enumerate(parts)
        ]
        segments.append(Segment(start, end, text, words))
        labels += [voice] * len(words)
    voices = 1 + max(v for *_, v, _ in lines)
    seconds = [sum(e - s for s, e, v, _ in lines if v == k) for k in range(voices)]
    transcript = Transcript("test", "none", {}, "en", lines[-1][1] + 2, segments)
    return transcript, Diarization(np.array(labels), labels, voices, seconds)


def talk(
    start: float, seconds: float, voice: int, topic: str
) -> list[tuple[float, float, int, str]]:
    """A talk of `seconds`: sentences of 10 s by one voice."""
    return [
        (t, t + 9.5, voice, f"Here is one more thing about {topic} that matters.")
        for t in np.arange(start, start + seconds, 10.0)
    ]


PROGRAMME = Programme(
    series="Data Bites",
    edition=9,
    host="Dan Barrett",
    talks=[
        ProgrammeTalk(["Sam Milsom"], "Open data", ["St Helens Council"]),
        ProgrammeTalk(["Priya Shah", "Tom Baker"], "Dashboards", ["Merseycare"]),
        ProgrammeTalk(["Alex Rivers"], "AI", ["LCR"]),
    ],
)


def edition() -> list[tuple[float, float, int, str]]:
    """Host opening; a 4-minute talk; a co-presented 12-minute talk; a 6-minute talk."""
    lines = [(0.0, 9.0, HOST, "Good evening and welcome to Data Bites.")]
    lines += [(10.0, 15.0, HOST, "Please welcome Sam Milsom from St Helens Council.")]
    lines += talk(16.0, 240.0, SAM, "open data")
    lines += [(257.0, 259.0, HOST, "Any questions for Sam?")]
    lines += [(260.0, 264.0, OTHER, "How do you choose what to publish?")]
    lines += [(265.0, 270.0, SAM, "We ask residents what they need.")]
    lines += [(271.0, 273.0, HOST, "Thank you Sam.")]
    lines += [(275.0, 280.0, HOST, "Next please welcome Priya Shah and Tom Baker.")]
    for n, t in enumerate(np.arange(282.0, 282.0 + 720.0, 60.0)):
        lines += talk(t, 60.0, PRIYA if n % 2 == 0 else TOM, "dashboards")
    lines += [(1003.0, 1006.0, OTHER, "Do clinicians want more charts?")]
    lines += [(1007.0, 1012.0, TOM, "They do, and we ask why.")]
    lines += [(1013.0, 1016.0, HOST, "Thank you both. Finally please welcome Alex Rivers.")]
    lines += talk(1018.0, 360.0, ALEX, "artificial intelligence")
    lines += [(1379.0, 1383.0, OTHER, "What is the biggest risk?")]
    lines += [(1384.0, 1390.0, ALEX, "People trusting it without checking.")]
    lines += [(1391.0, 1396.0, HOST, "Thank you Alex. That's all for tonight, see you next month.")]
    return lines


def test_slots_follow_the_voices_and_the_prior_does_not_force_eight_minutes() -> None:
    split = split_edition(*script(edition())[:1], PROGRAMME, script(edition())[1])
    assert split.method == "voices"
    starts = [t.start for t in split.talks]
    assert starts == [16.0, 282.0, 1018.0]
    assert [t.end for t in split.talks] == [270.0, 1012.0, 1390.0]
    assert [t.qa_start for t in split.talks] == [260.0, 1003.0, 1379.0]
    assert all(t.estimated and 0.9 <= t.confidence < 1.0 for t in split.talks)
    assert not split.warnings


def test_every_passage_says_who_spoke_it() -> None:
    transcript, voices = script(edition())
    split = split_edition(transcript, PROGRAMME, voices)
    said = {(round(p.start), p.speaker) for p in split.passages}
    assert (0, "host") in said
    assert (16, "Sam Milsom") in said
    assert (260, "audience") in said
    assert (282, "Priya Shah") in said and (342, "Tom Baker") in said
    assert (1007, "Tom Baker") in said
    kinds = {round(p.start): p.kind for p in split.passages}
    assert kinds[10] == "host" and kinds[16] == "talk" and kinds[260] == "qa" and kinds[265] == "qa"


def test_passages_never_span_a_change_of_speaker() -> None:
    transcript, voices = script(edition())
    split = split_edition(transcript, PROGRAMME, voices)
    changes = [282.0 + 60.0 * n for n in range(12)]
    for p in split.passages:
        assert not any(p.start < c < p.end for c in changes)


def test_explicit_times_win() -> None:
    timed = Programme(
        host="Dan Barrett",
        talks=[
            ProgrammeTalk(["Sam Milsom"], start=20.0, end=272.0),
            ProgrammeTalk(["Priya Shah", "Tom Baker"], start=282.0),
            ProgrammeTalk(["Alex Rivers"], start=1018.0),
        ],
    )
    split = split_edition(*script(edition())[:1], timed, script(edition())[1])
    assert split.method == "programme-times"
    assert [t.start for t in split.talks] == [20.0, 282.0, 1018.0]
    assert not any(t.estimated for t in split.talks)


def test_more_slots_than_the_recording_holds_warns_and_does_not_crash() -> None:
    lines = edition()[:8]  # only the host and Sam
    crowded = Programme(talks=[*PROGRAMME.talks, ProgrammeTalk(["Extra Person"], "More")])
    transcript, voices = script(lines)
    split = split_edition(transcript, crowded, voices)
    assert len(split.talks) == 4
    assert split.talks[0].start == 16.0
    assert len(split.warnings) == 3
    assert "talk 4 (Extra Person) is not in the recording" in split.warnings
    assert all(t.confidence == 0.0 for t in split.talks[1:])


def test_without_a_programme_voices_are_numbered_by_appearance() -> None:
    transcript, voices = script(edition())
    split = split_edition(transcript, None, voices)
    # Priya and Tom take turns within one stretch: one co-presented talk
    assert [t.speakers for t in split.talks] == [
        ["Speaker 2"],
        ["Speaker 3", "Speaker 4"],
        ["Speaker 5"],
    ]
    assert {p.speaker for p in split.passages} >= {"Speaker 1", "Speaker 2", "audience"}


def test_one_voice_is_one_talk() -> None:
    transcript, voices = script(talk(0.0, 120.0, 0, "data"))
    split = split_edition(transcript, None, voices)
    assert len(split.talks) == 1 and split.talks[0].speakers == ["Speaker 1"]


def test_diarize_finds_voices_and_smooths_blips() -> None:
    rng = np.random.default_rng(1)
    directions = rng.normal(size=(3, 256))
    order = [0] * 60 + [1] * 60 + [0] * 30 + [2] * 60
    order[90] = 0  # one window in voice 1's turn that sounds like voice 0
    vectors = directions[order] + rng.normal(scale=0.35, size=(len(order), 256))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    times = np.arange(len(order)) * 0.75 + 0.8
    words = [Word(t - 0.2, t + 0.2, " w") for t in times]
    result = diarize(VoiceWindows(times, vectors.astype(np.float32)), words, 3)
    assert result.voices == 3
    labels = result.window_labels.tolist()
    assert labels[:60] == [0] * 60 and labels[60:120] == [1] * 60
    assert labels[120:150] == [0] * 30 and labels[150:] == [2] * 60
    assert result.word_labels == labels


def test_a_stranger_is_other() -> None:
    rng = np.random.default_rng(2)
    directions = rng.normal(size=(3, 256))
    order = [0] * 50 + [2] * 6 + [1] * 50
    vectors = directions[order] + rng.normal(scale=0.2, size=(len(order), 256))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    times = np.arange(len(order)) * 0.75
    result = diarize(VoiceWindows(times, vectors.astype(np.float32)), [], 2)
    assert set(result.window_labels[50:56].tolist()) == {OTHER}


@pytest.mark.parametrize("minutes", [4, 8, 12])
def test_the_duration_prior_is_weak(minutes: int) -> None:
    assert duration_penalty(minutes * 60) <= duration_penalty(4 * 60) <= 10.0


@pytest.mark.parametrize(
    ("labels", "snapped"),
    [
        # a sentence's first word heard in the voice before it joins its own speaker
        ([TOM, PRIYA, PRIYA, PRIYA, PRIYA], [PRIYA] * 5),
        # and its last word in the next voice joins the sentence's speaker
        ([PRIYA, PRIYA, PRIYA, PRIYA, TOM], [PRIYA] * 5),
        # a change of speaker Whisper left unpunctuated: three runs, only the edge one moves
        ([TOM, PRIYA, PRIYA, PRIYA, TOM, TOM, TOM], [PRIYA, PRIYA, PRIYA, PRIYA, TOM, TOM, TOM]),
        # "Thank | you, Sam.": one word against two, the one joins the two
        ([SAM, HOST, HOST], [HOST, HOST, HOST]),
        # two runs as short as each other: nothing to say which is right, so both stay
        ([TOM, TOM, PRIYA, PRIYA], [TOM, TOM, PRIYA, PRIYA]),
        # a short run inside the sentence is not an edge: left to smooth_labels
        ([PRIYA, PRIYA, PRIYA, TOM, PRIYA, PRIYA, PRIYA], [PRIYA, PRIYA, PRIYA, TOM] + [PRIYA] * 3),
    ],
)
def test_a_sentence_edge_in_another_voice_snaps(labels: list[int], snapped: list[int]) -> None:
    words = [Word(float(i), i + 0.5, f" w{i}") for i in range(len(labels))]
    words[-1] = Word(words[-1].start, words[-1].end, f" w{len(labels) - 1}.")
    assert snap_to_sentences(words, labels) == snapped
