"""Strings from outside (programmes, feeds, file names, transcripts) are printed as written:
rich markup in them is neither parsed (a stray `[/]` raised MarkupError) nor applied."""

import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from bitesearch.models import Hit, IngestReport, Moment
from bitesearch.output.context import Line, TalkContext
from bitesearch.output.render import ingest_progress, ingest_table, talks_tables
from bitesearch.output.views import context_view, facets_view, hits_view
from bitesearch.search.query import SearchResult
from bitesearch.search.snippets import MARK_CLOSE, MARK_OPEN
from tests.conftest import SAMPLE_AUDIO, SAMPLE_PROGRAMME, run

MARKUP = "Data [/] Bites [bold]x[/bold]"
STYLE = "[bold red]Dan[/bold red] Barrett"


def printed(renderable: object) -> str:
    out = io.StringIO()
    Console(file=out, width=400, color_system=None, highlight=False).print(renderable)
    return out.getvalue()


def moment() -> Moment:
    return Moment(
        start=94.0,
        end=120.0,
        timestamp="00:01:34",
        speaker=STYLE,
        kind="talk",
        snippet=f"we build {MARK_OPEN}[bold]dashboards[/]{MARK_CLOSE} [red]for[/red] you",
        score=1.0,
        source=f"https://example.org/{MARKUP}#t=94",
        clip=f"/clips/{MARKUP}.mp3#t=0",
    )


def hit() -> Hit:
    best = moment()
    return Hit(
        edition=56,
        edition_id="data-bites-056",
        edition_label=f"{MARKUP} #56",
        date="[2026]",
        talk=2,
        talk_id="data-bites-056/2",
        speakers=[MARKUP, STYLE],
        speaker=best.speaker,
        title=MARKUP,
        kind="talk",
        start=best.start,
        end=best.end,
        timestamp=best.timestamp,
        snippet=best.snippet,
        score=1.0,
        source=best.source,
        passages=[best],
        also_matched=["[/]"],
        citation=f"{STYLE}, '{MARKUP}'",
    )


def test_ingest_table_prints_titles_and_sources_as_written() -> None:
    reports = [
        IngestReport(MARKUP, "data-bites-056", 56, 247.9, 3, 26, "voices", "ingested", title=STYLE),
        IngestReport(f"/talks/{MARKUP}.mp3", "", None, 0.0, 0, 0, "", "[/]failed"),
    ]
    text = printed(ingest_table(reports, "Would ingest"))
    assert STYLE in text and f"/talks/{MARKUP}.mp3" in text and "[/]failed" in text


def test_talks_tables_print_labels_speakers_and_titles_as_written() -> None:
    row = {"edition": 56, "edition_id": "[/]data-bites-056", "label": f"{MARKUP} #56",
           "date": "[red]2026", "talk": 1, "talk_id": "data-bites-056/1",
           "speakers": [MARKUP, STYLE], "title": STYLE, "start": 22.6, "qa_start": None,
           "end": 80.5, "estimated": False, "confidence": 1.0, "clip": ""}  # fmt: skip
    text = printed(talks_tables([row]))
    assert f"{MARKUP} #56 · [red]2026 · [/]data-bites-056" in text
    assert f"{MARKUP} and {STYLE}" in text
    assert text.count(STYLE) == 2


def test_hits_print_every_field_as_written() -> None:
    result = SearchResult(f"{MARKUP} [/]", [hit()], 1, also_matched=["[/]"],
                          suggestions=[f"[bold]{MARKUP}"])  # fmt: skip
    text = printed(hits_view(result, cite=True))
    for shown in (f"{MARKUP} #56 · [2026]", f"{MARKUP} — {MARKUP} and {STYLE}", STYLE,
                  "we build [bold]dashboards[/] [red]for[/red] you", moment().source,
                  moment().clip, "also matched: [/]", f"Cite: {STYLE}, '{MARKUP}'",
                  f"Did you mean: [bold]{MARKUP}?", f"match '{MARKUP} [/]'"):  # fmt: skip
        assert shown in text, shown


def test_no_hits_print_the_query_as_written() -> None:
    assert f"No talks match '{MARKUP}'." in printed(hits_view(SearchResult(MARKUP, [], 0)))


def test_facets_print_values_as_written() -> None:
    facets = {"speaker": {MARKUP: 3, STYLE: 1}, "edition": {f"{MARKUP} #56": 4},
              "year": {"[/]": 4}}  # fmt: skip
    text = printed(facets_view(facets))
    assert MARKUP in text and STYLE in text and f"{MARKUP} #56" in text and "[/]" in text


def test_a_transcript_prints_as_written() -> None:
    context = TalkContext(
        talk_id="data-bites-056/2",
        edition_label=f"{MARKUP} #56",
        date="[/]",
        title=MARKUP,
        speakers=[STYLE],
        start=94.0,
        end=159.0,
        at=111.0,
        link=f"https://example.org/{MARKUP}#t=111",
        lines=[Line(94.0, "00:01:34", STYLE, f"we said {MARKUP}", here=True)],
    )
    text = printed(context_view(context))
    assert f"{MARKUP} #56 · [/] · data-bites-056/2" in text
    assert f"{MARKUP} — {STYLE}" in text
    assert f"▶ [00:01:34] {STYLE}: we said {MARKUP}" in text


def test_the_progress_bar_prints_a_name_as_written() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=200)
    with ingest_progress(False, console) as for_source:
        for_source("[/]Bites [bold]x")("transcribe", 10.0, 20.0)
    assert "[/]Bites [bold]x" in out.getvalue()


# Through the CLI: an archive whose programme, talks and transcript hold markup.


@pytest.fixture
def marked_archive(sample_copy: Path) -> Path:
    folder = sample_copy / "recordings" / "data-bites-056"
    edition = json.loads((folder / "edition.json").read_text())
    edition["programme"]["title"] = MARKUP
    edition["programme"]["host"] = STYLE
    edition["programme"]["talks"][1].update(title=MARKUP, speakers=[MARKUP, STYLE])
    (folder / "edition.json").write_text(json.dumps(edition))
    split = json.loads((folder / "talks.json").read_text())
    split["talks"][1].update(title=MARKUP, speakers=[MARKUP, STYLE])
    for passage in split["passages"]:
        if passage["speaker"] == "Priya Shah":
            passage["speaker"] = MARKUP
    (folder / "talks.json").write_text(json.dumps(split))
    result = run("--archive", sample_copy, "reindex")
    assert result.exit_code == 0, result.output
    return sample_copy


def test_talks_command_prints_markup_as_written(
    marked_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # no cell folded
    result = run("--archive", marked_archive, "talks")
    assert result.exit_code == 0, result.output
    assert f"{MARKUP} and {STYLE}" in result.stdout
    assert f"  {MARKUP}  " in result.stdout  # the title cell


def test_query_prints_markup_as_written(marked_archive: Path) -> None:
    result = run("--archive", marked_archive, "query", "dashboards", "--facets", "--cite")
    assert result.exit_code == 0, result.output
    assert f"{MARKUP} — {MARKUP} and {STYLE}" in result.stdout
    assert f"00:01:34  {MARKUP}" in result.stdout  # who spoke the passage
    assert f"{MARKUP}  " in result.stdout.split("passages by speaker")[1]  # the facet row


def test_show_prints_markup_as_written(marked_archive: Path) -> None:
    result = run("--archive", marked_archive, "show", "data-bites-056/2")
    assert result.exit_code == 0, result.output
    assert f"{MARKUP} — {MARKUP} and {STYLE}" in result.stdout
    assert f"[00:01:34] {MARKUP}: Hi everyone" in result.stdout


def test_ingest_prints_its_table_for_a_programme_with_markup(
    sample_copy: Path, tmp_path: Path
) -> None:
    programme = tmp_path / "programme.toml"
    given = SAMPLE_PROGRAMME.read_text().replace("Data Bites #56: Open data, dashboards and AI",
                                                 MARKUP)  # fmt: skip
    programme.write_text(given)
    result = run("--archive", sample_copy, "ingest", SAMPLE_AUDIO, "--programme", programme)
    assert result.exit_code == 0, result.output
    assert MARKUP in result.stdout
    assert run("--archive", sample_copy, "talks").exit_code == 0


def test_a_dry_run_prints_a_file_name_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "[bold red]Bites[x].mp3"  # a file name cannot hold [/]; short, so it does not fold
    shutil.copyfile(SAMPLE_AUDIO, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    result = run("ingest", name, "--dry-run")
    assert result.exit_code == 0, result.output
    assert name in result.stdout
