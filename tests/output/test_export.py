"""Export formats, written from the sample edition."""

import io
import json
import re
from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.models import Segment, Word
from bitesearch.output.export import load_export, split_cue
from tests.conftest import run


def export(archive: Path, *args: str) -> str:
    result = run("--archive", archive, "export", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_markdown(sample_archive: Path) -> None:
    text = export(sample_archive, "--edition", "56", "--format", "md")
    assert text.startswith("# Data Bites #56: Open data, dashboards and AI\n")
    assert "## 1. Open data in local government" in text
    assert "**Priya Shah (Merseycare NHS)** and **Tom Baker (Merseycare NHS)**" in text
    assert "### Questions" in text
    assert "**Dan Barrett (host):** Good evening" in text
    assert "**Tom Baker:**" in text and "**Priya Shah:**" in text  # named at each change
    assert re.search(r"^\[00:0\d:\d\d\] ", text, re.MULTILINE)
    assert text.index("## 1.") < text.index("## 2.") < text.index("## 3.")


def test_text(sample_archive: Path) -> None:
    text = export(sample_archive, "--edition", "data-bites-056", "--format", "txt")
    assert "Talk 2: Dashboards clinicians actually use (Priya Shah and Tom Baker)" in text
    assert "(questions)" in text
    assert "] Alex Rivers: " in text


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles(sample_archive: Path, fmt: str) -> None:
    text = export(sample_archive, "--edition", "56", "--format", fmt)
    sep = "," if fmt == "srt" else "."
    stamps = re.findall(rf"(\d\d:\d\d:\d\d{sep}\d\d\d) --> (\d\d:\d\d:\d\d{sep}\d\d\d)", text)
    assert len(stamps) > 20
    assert all(a < b for a, b in stamps)
    assert [a for a, _ in stamps] == sorted(a for a, _ in stamps)
    if fmt == "srt":
        assert text.startswith("1\n00:00:")
        assert "\nDan Barrett (host): Good evening" in text
        assert "\nSam Milsom: " in text
    else:
        assert text.startswith("WEBVTT\n\n")
        assert "<v Dan Barrett (host)>Good evening" in text and "<v Tom Baker>" in text


def test_json(sample_archive: Path) -> None:
    data = json.loads(export(sample_archive, "--edition", "56", "--format", "json"))
    assert data["schema"] == 1
    assert data["edition"]["edition"] == 56
    assert [t["talk_id"] for t in data["talks"]] == [f"data-bites-056/{n}" for n in (1, 2, 3)]
    kinds = {p["kind"] for p in data["passages"]}
    assert kinds == {"host", "talk", "qa"}
    assert all({"start", "end", "text", "speakers", "speaker"} <= set(p) for p in data["passages"])
    assert {p["speaker"] for p in data["passages"] if p["kind"] == "host"} == {"host"}
    named = {p["speaker"] for p in data["passages"]}
    assert {"Sam Milsom", "Priya Shah", "Tom Baker", "Alex Rivers"} <= named


def test_one_talk(sample_archive: Path) -> None:
    data = json.loads(export(sample_archive, "--talk", "data-bites-056/3", "--format", "json"))
    assert [t["slot"] for t in data["talks"]] == [3]
    assert {p["slot"] for p in data["passages"]} == {3}
    assert "artificial intelligence" in " ".join(p["text"] for p in data["passages"]).lower()


def test_to_a_file(sample_archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.vtt"
    result = run(
        "--archive", sample_archive, "export", "--edition", "56", "-f", "vtt", "-o", target
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text().startswith("WEBVTT")


def test_writers_write_to_any_text_file(sample_archive: Path) -> None:
    from bitesearch.output.export import WRITERS

    doc = load_export(Archive(sample_archive), "56", None)
    for name, writer in WRITERS.items():
        out = io.StringIO()
        writer().write(doc, out)
        assert len(out.getvalue()) > 500, name


def test_long_segments_become_short_cues() -> None:
    words = [Word(i * 0.5, i * 0.5 + 0.4, f" word{i}") for i in range(40)]
    cues = split_cue(Segment(0.0, 20.0, "", words))
    assert len(cues) > 2
    assert all(end - start <= 7.0 and len(text) <= 84 for start, end, text in cues)
    assert " ".join(text for _, _, text in cues).split() == [w.text.strip() for w in words]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--edition", "56", "--format", "docx"], "unknown export format", id="format"),
        pytest.param(["--edition", "99"], "no edition '99'", id="edition"),
        pytest.param(["--talk", "data-bites-056/9"], "has no talk 9", id="talk"),
        pytest.param(["--talk", "nonsense"], "not a talk id", id="talk-id"),
        pytest.param([], "say what to export", id="nothing"),
    ],
)
def test_bad_exports(sample_copy: Path, tmp_path: Path, args: list[str], message: str) -> None:
    from tests.conftest import snapshot

    before = snapshot(sample_copy)
    result = run("export", *args, "-o", tmp_path / "out.txt")
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.txt").exists()
    assert snapshot(sample_copy) == before


def test_talk_subtitles_start_with_the_talk(sample_archive: Path) -> None:
    talk = Archive(sample_archive).load_split("data-bites-056").talks[1]
    text = export(sample_archive, "--talk", "data-bites-056/2", "--format", "vtt")
    first = re.search(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) -->", text)
    h, m, s, ms = (int(g) for g in first.groups())
    assert h * 3600 + m * 60 + s + ms / 1000 == pytest.approx(talk.start, abs=0.5)
