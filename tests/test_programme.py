from pathlib import Path

import pytest

from bitesearch.errors import BitesearchError
from bitesearch.programme import load_programme, to_toml
from tests.conftest import SAMPLE_PROGRAMME


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "programme.toml"
    path.write_text(text)
    return path


def test_sample_programme_reads() -> None:
    programme = load_programme(SAMPLE_PROGRAMME)
    assert programme.series == "Data Bites"
    assert programme.edition == 56
    assert [t.speakers for t in programme.talks][1] == ["Priya Shah", "Tom Baker"]
    assert all(t.start is None for t in programme.talks)


def test_times_are_read_as_seconds(tmp_path: Path) -> None:
    path = write(tmp_path, '[[talks]]\nspeakers = ["A"]\nstart = "00:01:10"\nend = "0:09:30"\n')
    talk = load_programme(path).talks[0]
    assert (talk.start, talk.end) == (70.0, 570.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("series = \n", "not valid TOML", id="syntax-error"),
        pytest.param('series = "x"\nspeaker = "y"\n', "unknown key 'speaker'", id="unknown-key"),
        pytest.param(
            '[[talks]]\nspeakers = ["A"]\nroom = 2\n', "unknown key 'room'", id="unknown-talk-key"
        ),
        pytest.param('edition = "56"\n', "'edition' must be a whole number", id="edition-text"),
        pytest.param('date = "14/10/2026"\n', "'date' must be YYYY-MM-DD", id="bad-date"),
        pytest.param('[[talks]]\ntitle = "x"\n', "needs 'speakers'", id="no-speakers"),
        pytest.param('[[talks]]\nspeakers = ["A"]\nstart = "1:99"\n', "not a time", id="bad-time"),
        pytest.param(
            '[[talks]]\nspeakers = ["A"]\nstart = "0:10:00"\nend = "0:05:00"\n',
            "ends",
            id="end-before-start",
        ),
        pytest.param(
            '[[talks]]\nspeakers = ["A"]\nstart = "0:10:00"\n'
            '[[talks]]\nspeakers = ["B"]\nstart = "0:05:00"\n',
            "go back",
            id="times-out-of-order",
        ),
    ],
)
def test_bad_programmes_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BitesearchError, match=message):
        load_programme(write(tmp_path, text))


def test_missing_programme(tmp_path: Path) -> None:
    with pytest.raises(BitesearchError, match="not found"):
        load_programme(tmp_path / "nope.toml")


def test_a_programme_written_reads_back_the_same(tmp_path: Path) -> None:
    programme = load_programme(SAMPLE_PROGRAMME)
    programme.title = 'Data Bites #56: "Open" data \\ dashboards, ünïcode'
    programme.talks[0].start, programme.talks[0].end = 70.5, 570.0
    assert load_programme(write(tmp_path, to_toml(programme))) == programme
