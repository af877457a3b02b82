"""The command line: parse options, call the library, render as text or JSON.

Heavy modules (faster-whisper, whoosh, pydub) are imported inside the commands that need them,
so `bitesearch --help` stays quick.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bitesearch import __version__
from bitesearch.archive import ARCHIVE_ENV, Archive
from bitesearch.errors import BitesearchError, UsageError

app = typer.Typer(
    help="Turn the recordings of a talk series into a searchable, citable archive.\n\n"
    "Example: bitesearch ingest edition.mp3 --programme programme.toml && "
    'bitesearch query "open data"',
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
F = TypeVar("F", bound=Callable[..., Any])


def _stderr() -> Any:
    """Notes, warnings and errors: one line each, never folded at the terminal's width."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout() -> Any:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:  # piped or captured: wide enough that tables do not fold
        console.width = max(console.width, 120)
    return console


def errors_to_exit(func: F) -> F:
    """The one error boundary: a BitesearchError becomes one line on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BitesearchError as exc:
            _stderr().print(f"Error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _stderr().print(INTERRUPTED, markup=False)
            raise typer.Exit(130) from None
        except BrokenPipeError:  # `bitesearch export ... | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None  # as a shell reports SIGPIPE
        except OSError as exc:  # a full disk, a folder the user may not write: one line
            _stderr().print(f"Error: {os_error(exc)}", markup=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


INTERRUPTED = "Interrupted: run the same command again to finish."
PRIVATE_NETWORK = typer.Option(
    "--allow-private-network",
    help="Also fetch from this machine and private networks (loopback, 10.x, 192.168.x, "
    "169.254.x ...: refused by default; or set BITESEARCH_ALLOW_PRIVATE_NETWORK=1).",
)


def os_error(exc: OSError) -> str:
    """What went wrong on the disk, and what to do next."""
    where = f" while writing {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on device{where}: free space and run the same command again"
    return f"{exc.strerror or exc}{where or ''}"


def _exit_at_once(signum: int, frame: Any) -> None:
    """Ctrl-C during ingest: go now. Every write is atomic and every stage is redone or kept
    by the next run, so waiting for the decoder threads to finish their blocks gains nothing."""
    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    os._exit(130)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bitesearch {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            envvar=ARCHIVE_ENV,
            help="The archive folder (holding recordings/ and index/); default: here.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn the recordings of a talk series into a searchable, citable archive."""
    ctx.obj = archive


def _archive(ctx: typer.Context, must_exist: bool = True) -> Archive:
    archive = Archive.locate(ctx.obj)
    if must_exist and not archive.root.is_dir():
        raise BitesearchError(f"no archive at {archive.root}: run `bitesearch ingest FILE` first")
    return archive


def _single_threaded_blas() -> None:
    """A query embeds a few words: its small matrix products only lose time to BLAS threads
    (tens of ms each on a busy machine). Set before numpy is first imported."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command()
@errors_to_exit
def ingest(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="What to ingest: audio or video files, transcripts (.vtt, .srt, Whisper "
            ".json), URLs of media files, podcast feeds, YouTube or SoundCloud videos and "
            "playlists, or pages with a <video>.",
            show_default=False,
        ),
    ] = None,
    programme: Annotated[
        Path | None, typer.Option("--programme", "-p", help="The edition's programme file (TOML).")
    ] = None,
    page: Annotated[
        str | None,
        typer.Option(
            help="The edition's write-up page: its talks become the programme, and its "
            "recording link is ingested when no SOURCE is given."
        ),
    ] = None,
    transcript: Annotated[
        Path | None,
        typer.Option(help="A transcript (.vtt, .srt or Whisper .json) to use beside the audio."),
    ] = None,
    captions: Annotated[
        bool, typer.Option(help="Use the captions yt-dlp finds instead of transcribing.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only feed or playlist items published on or after YYYY-MM-DD."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="At most this many items of each feed or playlist.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be ingested; change nothing.")
    ] = False,
    max_size: Annotated[
        str, typer.Option(help="The largest download accepted (e.g. 500MB, 2GB).")
    ] = "2GB",
    allow_private_network: Annotated[bool, PRIVATE_NETWORK] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="Speech-to-text engine: faster-whisper (fast, int8) or openai-whisper (the "
            "reference implementation, float32, several times slower)."
        ),
    ] = "faster-whisper",
    model: Annotated[
        str,
        typer.Option(
            help="Whisper model: tiny.en (bundled), a model folder, a model name, or (with "
            "openai-whisper) a .pt checkpoint."
        ),
    ] = "tiny.en",
    beam_size: Annotated[
        int, typer.Option(help="Beam size for decoding (1 is greedy, fastest).")
    ] = 1,
    batch_size: Annotated[
        int,
        typer.Option(help="Speech chunks decoded together (0: the sequential decoder)."),
    ] = 4,
    vocabulary: Annotated[
        bool,
        typer.Option(help="Give the programme's names to Whisper, so it spells them right."),
    ] = True,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Recordings ingested at once (feeds, many files).")
    ] = 1,
    replace: Annotated[
        bool, typer.Option(help="Replace an edition ingested from a different recording.")
    ] = False,
    voices: Annotated[
        bool, typer.Option(help="Split by voices (--no-voices: from the words alone).")
    ] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Transcribe recordings, split them into talks, cut per-talk clips and index them.

    Running it again does no work twice: items already in the archive are skipped without
    downloading them, and an interrupted download or ingest is finished.

    Example: bitesearch ingest recordings/sample/edition.mp3 -p recordings/sample/programme.toml

    Example: bitesearch ingest https://example.org/feed.xml --since 2026-01-01 --dry-run

    Example: bitesearch ingest recordings/2025/*.mp3 --jobs 2
    """
    from bitesearch.ingest.recording import IngestOptions
    from bitesearch.output.render import ingest_table
    from bitesearch.sources.common import SourceOptions
    from bitesearch.sources.fetch import FetchOptions, parse_size
    from bitesearch.transcribe.common import TranscribeOptions
    from bitesearch.transcribe.engines import COMPUTE_TYPES, check_engine, check_model

    sources = list(sources or [])
    if (programme is not None or transcript is not None) and len(sources) > 1:
        raise UsageError("--programme and --transcript describe one edition: give one SOURCE")
    if beam_size < 1:
        raise UsageError("--beam-size must be 1 or more")
    if batch_size < 0:
        raise UsageError("--batch-size must be 0 (sequential) or more")
    if jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if limit is not None and limit < 1:
        raise UsageError("--limit must be 1 or more")
    check_engine(engine)
    transcribe = TranscribeOptions(
        model=model,
        engine=engine,
        beam_size=beam_size,
        batch_size=batch_size,
        compute_type=COMPUTE_TYPES[engine],
    )
    check_model(transcribe)  # an unknown engine or model is an error before any work starts
    fetch = FetchOptions(
        max_bytes=parse_size(max_size), allow_private_network=allow_private_network
    )
    page_programme = _page(page, sources, fetch)
    options = IngestOptions(
        transcribe, programme, voices, vocabulary=vocabulary, jobs=jobs, replace=replace
    )
    source_options = SourceOptions(
        fetch, _since(since), limit, captions, transcript, page_programme, dry_run
    )
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _exit_at_once) if main else None
    try:
        reports, failures = _ingest_all(
            _archive(ctx, must_exist=False), sources, options, source_options, quiet or json_output
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if json_output:
        _print_json([r.to_dict() for r in reports])
    else:
        _stdout().print(ingest_table(reports, "Would ingest" if dry_run else "Ingested"))
    for report in reports:
        for warning in report.warnings:
            where = f"{report.edition_id}: " if report.edition_id else ""
            _stderr().print(f"Warning: {where}{warning}", markup=False)
    if failures:
        for source, message in failures:
            shown = source if len(source) <= 100 else source[:97] + "..."  # a title from outside
            _stderr().print(f"Error: {shown}: {message}", markup=False)
        raise typer.Exit(1)


def _ingest_all(
    archive: Archive,
    sources: list[str],
    options: Any,
    source_options: Any,
    quiet: bool,
) -> tuple[list[Any], list[tuple[str, str]]]:
    """Ingest every item of every source; a failed one is reported and skipped, the others
    go on. Returns the reports (failed items included) and (item, message) per failure."""
    from bitesearch.ingest.batch import ingest_sources
    from bitesearch.output.render import ingest_progress

    with ingest_progress(quiet) as progress_for:

        def for_item(item: Any) -> Any:
            return progress_for(item.title or Path(item.location).name)

        reports = list(
            ingest_sources(archive, sources, options, source_options, for_item, options.jobs)
        )
    failures = [(r.title or r.source, r.error) for r in reports if r.status == "failed"]
    return reports, failures


def _page(page: str | None, sources: list[str], fetch: Any) -> Any:
    """The programme on --page (appending its recording to sources when none is given)."""
    if page is None:
        if not sources:
            raise UsageError("give a SOURCE to ingest (a file, URL or feed), or --page URL")
        return None
    from bitesearch.sources.pages import fetch_programme

    found, recording = fetch_programme(page, fetch)
    if not sources:
        if not recording:
            raise BitesearchError(f"{page} links no recording: give it as SOURCE with --page")
        sources.append(recording)
    if len(sources) > 1:
        raise UsageError("--page describes one edition: give at most one SOURCE with it")
    return found


def _since(value: str | None) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since must be a date, YYYY-MM-DD, not {value!r}") from None


@app.command(name="programme")
@errors_to_exit
def programme_command(
    url: Annotated[str, typer.Argument(help="The edition's write-up page.", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    allow_private_network: Annotated[bool, PRIVATE_NETWORK] = False,
) -> None:
    """Read an edition's write-up page and print its programme file, to check and correct.

    Talks are headings or paragraphs "Speaker: Title" (or "A and B: Title"); organisations
    come from the text below each. Pass the file to `ingest --programme`.

    Example: bitesearch programme https://example.org/data-bites-56 -o programme.toml
    """
    from bitesearch.archive import atomic_write
    from bitesearch.programme import check_programme, to_toml
    from bitesearch.sources.fetch import FetchOptions
    from bitesearch.sources.pages import fetch_programme

    found, _recording = fetch_programme(
        url, FetchOptions(allow_private_network=allow_private_network)
    )
    found = check_programme(found, url)  # a page's text is bounded as any programme's
    text = to_toml(found)
    if output is None:
        sys.stdout.write(text)
        return
    with atomic_write(output) as handle:
        handle.write(text)
    _stderr().print(f"Wrote {output} ({len(found.talks)} talks).", markup=False)


@app.command()
@errors_to_exit
def query(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to look for.", show_default=False)],
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many talks to show.")] = 10,
    speaker: Annotated[
        str | None,
        typer.Option(help="Only passages spoken by this speaker (any part of the name)."),
    ] = None,
    edition: Annotated[
        str | None, typer.Option(help="Only this edition: a number, an id, or a range 50..56.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only editions on or after this date (2024, 2024-03, ...).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only editions on or before this date.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="talk (what was presented), qa (what was asked) or host.")
    ] = None,
    series: Annotated[str | None, typer.Option(help="Only this series.")] = None,
    exact: Annotated[
        bool, typer.Option(help="Keyword only: the words as typed, no synonyms, no vectors.")
    ] = False,
    facets: Annotated[
        bool, typer.Option(help="Count matching passages by speaker, edition and year.")
    ] = False,
    cite: Annotated[bool, typer.Option(help="Add a ready citation under each talk.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="text, md, json or csv.")] = "text",
    json_output: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Find talks by topic across every edition, best first, with the moments to play.

    Query language (Whoosh): words; "exact phrases"; AND, OR, NOT and (brackets); fields
    speaker:rivers, title:dashboards, edition:56 or edition:[50 TO 56]; prefix data*;
    fuzzy licence~ (one edit) or licence~2. A query that cannot be read is searched as its
    plain words, with a note.

    Topics, not only words: AI also searches "artificial intelligence" and "machine
    learning" (see bitesearch/topics.py), and passages close in meaning are found by a small
    sentence-embedding model, fused with the keyword ranking. --exact searches the words only.

    Example: bitesearch query "open data" --since 2024 --kind qa --cite
    """
    _single_threaded_blas()
    from bitesearch.search.query import QueryOptions, search

    if json_output:
        format = "json"
    writer = None
    if format.lower() not in ("text", "txt"):
        from bitesearch.output.hitlist import get_writer

        writer = get_writer(format)  # an unknown format is an error before any search
    options = QueryOptions(limit, speaker, edition, since, until, kind, series, exact, facets)
    result = search(_archive(ctx), text, options)
    for note in result.notes:
        _stderr().print(f"Note: {note}", markup=False)
    if writer is not None:
        if result.suggestions and not result.hits:
            _stderr().print(f"Did you mean: {' or '.join(result.suggestions)}?", markup=False)
        writer.write(result, sys.stdout)
        return
    from bitesearch.output.views import hits_view

    _stdout().print(hits_view(result, cite), crop=False)  # links and citations stay whole


@app.command()
@errors_to_exit
def show(
    ctx: typer.Context,
    talk_id: Annotated[
        str, typer.Argument(help="The talk, as hits name it: data-bites-056/2.", show_default=False)
    ],
    at: Annotated[
        str | None, typer.Option(help="The moment (hh:mm:ss): show the transcript around it.")
    ] = None,
    window: Annotated[float, typer.Option(help="Seconds shown before and after --at.")] = 60.0,
    json_output: Annotated[bool, typer.Option("--json", help="Print the lines as JSON.")] = False,
) -> None:
    """Print a talk's transcript, or the part around a moment, to check a quote in context.

    Example: bitesearch show data-bites-056/2 --at 00:01:51
    """
    from bitesearch.output.context import talk_context

    if window <= 0:
        raise UsageError("--window must be more than 0 seconds")
    context = talk_context(_archive(ctx), talk_id, at, window)
    if json_output:
        _print_json(context.to_dict())
        return
    from bitesearch.output.views import context_view

    _stdout().print(context_view(context), crop=False)


@app.command()
@errors_to_exit
def talks(
    ctx: typer.Context,
    edition: Annotated[str | None, typer.Option(help="Only this edition (number or id).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the talks as JSON.")] = False,
) -> None:
    """List the archive's editions and talks: speakers, titles, start, questions and end.

    Example: bitesearch talks --edition 56
    """
    from bitesearch.output.render import talk_rows, talks_tables

    archive = _archive(ctx)
    editions = [archive.find_edition(edition)] if edition else archive.editions()
    rows = talk_rows(archive, editions)
    if json_output:
        _print_json(rows)
    elif not rows:
        _stderr().print("The archive has no talks yet: run `bitesearch ingest FILE`.")
    else:
        _stdout().print(talks_tables(rows))


@app.command()
@errors_to_exit
def export(
    ctx: typer.Context,
    edition: Annotated[
        str | None, typer.Option(help="The edition to export (number or id).")
    ] = None,
    talk: Annotated[
        str | None, typer.Option(help="Only this talk (its id, e.g. data-bites-056/2).")
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="md, txt, srt, vtt or json.")
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write an edition's (or a talk's) transcript for a write-up.

    Example: bitesearch export --edition 56 --format md -o data-bites-56.md
    """
    from bitesearch.output.export import load_export, write_export

    doc = load_export(_archive(ctx), edition, talk)
    write_export(doc, format, output)


@app.command()
@errors_to_exit
def reindex(ctx: typer.Context) -> None:
    """Rebuild the search index from recordings/ (safe to run at any time).

    Example: bitesearch --archive ~/databites reindex
    """
    from bitesearch.search.store import SearchStore

    archive = _archive(ctx)
    count = SearchStore(archive).rebuild()
    _stderr().print(f"Indexed {count} passages from {len(archive.editions())} editions.")


def main() -> None:
    app()
