import pytest

from bitesearch.timecode import hms, parse_time, subtitle_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:01:10", 70.0), ("1:02:03", 3723.0), ("2:03", 123.0), ("75.5", 75.5), (12, 12.0)],
)
def test_parse_time(text: str, seconds: float) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["1:60", "abc", "-3", "1:2:3:4"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_formats() -> None:
    assert hms(3723.9) == "01:02:03"
    assert subtitle_time(62.5) == "00:01:02,500"
    assert subtitle_time(3600.0, ".") == "01:00:00.000"
