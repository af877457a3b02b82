"""The command line as a whole: help, version, where the archive is."""

import re
from pathlib import Path

import pytest

from bitesearch.cli import app
from tests.conftest import ROOT, run

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)  # type: ignore[union-attr]


def test_the_commands() -> None:
    assert COMMANDS == ["export", "ingest", "programme", "query", "reindex", "show", "talks"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example: bitesearch" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"bitesearch( --archive \S+)? {command}\b", readme)


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make demo") < readme.index("make test") < readme.index("bitesearch ingest")


def test_version() -> None:
    assert run("--version").stdout.startswith("bitesearch 0.")


def test_archive_option_and_variable(sample_archive: Path, own_archive: Path) -> None:
    assert run("talks").exit_code == 1  # the variable points at the test's own empty archive
    by_option = run("--archive", sample_archive, "talks", "--json").stdout
    assert "data-bites-056/3" in by_option


def test_talks_table(sample_archive: Path) -> None:
    result = run("--archive", sample_archive, "talks")
    assert result.exit_code == 0
    assert "Priya Shah and Tom Baker" in result.stdout
    assert "estimated" in result.stdout
    assert re.search(r"00:0\d:\d\d", result.stdout)


def test_talks_for_an_unknown_edition(sample_archive: Path) -> None:
    result = run("--archive", sample_archive, "talks", "--edition", "12")
    assert result.exit_code == 1
    assert "editions in the archive: 56" in result.stderr


def test_help_does_not_import_the_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from bitesearch.cli import app; "
        "print('faster_whisper' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_closed_pipe_is_not_an_error(sample_archive: Path) -> None:
    """`bitesearch export ... | head -n 1`: the reader stops early; nothing is printed on stderr."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "bitesearch", "--archive", str(sample_archive), "export",
               "--edition", "56", "--format", "md"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # as head does once it has its line: every write now fails
    _, err = process.communicate(timeout=60)
    assert err == b""
    assert process.returncode in (0, 141)
