"""What people see: the progress bar and the styled snippets."""

import io

from rich.console import Console
from rich.progress import Progress

from bitesearch.output.render import SpeedColumn, ingest_progress, styled
from bitesearch.search.snippets import MARK_CLOSE, MARK_OPEN, snippet


def test_progress_bar_shows_audio_done_speed_and_time_left() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with ingest_progress(False, console) as for_source:
        update = for_source("edition.mp3")
        for done in (0.0, 60.0, 120.0, 233.0):
            update("transcribe", done, 233.0)
    text = out.getvalue()
    assert "edition.mp3" in text
    assert "00:03:53/00:03:53" in text
    assert "left" in text


def test_progress_is_silent_when_quiet_or_not_a_terminal() -> None:
    out = io.StringIO()
    with ingest_progress(False, Console(file=out, force_terminal=False)) as for_source:
        assert for_source("x") is None  # ingest then reports no progress
    assert out.getvalue() == ""


def test_snippet_marks_terms_and_picks_the_densest_window() -> None:
    text = "Intro words here. " * 20 + "We publish open data. Open data helps. " + "Filler. " * 40
    spans = [(m, m + 4) for m in range(len(text)) if text.startswith("data", m)]
    result = snippet(text, spans)
    assert result.startswith("… ") and result.endswith(" …")
    assert result.count(MARK_OPEN) == 2 and result.count(MARK_CLOSE) == 2
    assert styled(result).plain == result.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def test_progress_shows_megabytes_while_downloading() -> None:
    bar = Progress(SpeedColumn())
    task = bar.add_task("Data Bites #3", total=5_000_000, completed=2_500_000, stage="download")
    assert SpeedColumn().render(bar.tasks[task]).plain == "2.5/5.0 MB"
    bar.reset(task, total=12.0, completed=12.0, stage="transcribe")
    assert SpeedColumn().render(bar.tasks[task]).plain == "00:00:12/00:00:12"
