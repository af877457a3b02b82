"""HTTP downloads against a real server on 127.0.0.1: resume, retry, caps, schemes, redirects."""

from pathlib import Path

import pytest

from bitesearch.errors import BitesearchError
from bitesearch.sources.fetch import FetchOptions, check_url, download, fetch_bytes
from tests.httpserver import Route, Server

FAST = FetchOptions(retries=3, backoff=0.01, timeout=5)
BODY = bytes(range(256)) * 4096  # 1 MiB


def test_a_plain_download(http_server: Server, tmp_path: Path) -> None:
    http_server.routes["/a.mp3"] = Route(BODY)
    result = download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == BODY
    assert result.size == len(BODY) and result.attempts == 1
    assert not (tmp_path / "a.mp3.part").exists()


def test_a_dropped_connection_resumes_with_only_the_rest(
    http_server: Server, tmp_path: Path
) -> None:
    http_server.routes["/a.mp3"] = Route(BODY, drop_after=300_000)
    result = download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == BODY
    first, second = http_server.requests("/a.mp3")
    assert first.range == "" and first.sent == 300_000
    assert second.range == "bytes=300000-" and second.sent == len(BODY) - 300_000
    assert result.fetched == len(BODY)  # nothing fetched twice


def test_a_part_left_by_an_earlier_run_is_resumed(http_server: Server, tmp_path: Path) -> None:
    (tmp_path / "a.mp3.part").write_bytes(BODY[:1000])
    http_server.routes["/a.mp3"] = Route(BODY)
    result = download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == BODY
    assert result.resumed_from == 1000 and result.fetched == len(BODY) - 1000
    assert http_server.requests("/a.mp3")[0].range == "bytes=1000-"


def test_a_server_that_ignores_range_starts_the_part_over(
    http_server: Server, tmp_path: Path
) -> None:
    http_server.routes["/a.mp3"] = Route(BODY, drop_after=5000, ignore_range=True)
    download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == BODY
    assert [r.sent for r in http_server.requests("/a.mp3")] == [5000, len(BODY)]


def test_a_500_that_recovers_is_retried(http_server: Server, tmp_path: Path) -> None:
    http_server.routes["/a.mp3"] = Route(BODY, fail=2)
    result = download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert result.attempts == 3 and (tmp_path / "a.mp3").read_bytes() == BODY


def test_a_500_that_never_recovers_gives_up(http_server: Server, tmp_path: Path) -> None:
    http_server.routes["/a.mp3"] = Route(BODY, fail=99)
    with pytest.raises(BitesearchError, match="gave up after 4 attempts"):
        download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert len(http_server.requests("/a.mp3")) == 4


def test_a_404_fails_at_once(http_server: Server, tmp_path: Path) -> None:
    with pytest.raises(BitesearchError, match="HTTP 404"):
        download(http_server.url("/missing.mp3"), tmp_path / "a.mp3", FAST)
    assert len(http_server.requests("/missing.mp3")) == 1
    assert not list(tmp_path.iterdir())


def test_a_wrong_content_length(http_server: Server, tmp_path: Path) -> None:
    """The server announces more than it sends: the resume finds the file complete."""
    http_server.routes["/a.mp3"] = Route(BODY, extra_length=1000)
    download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == BODY
    assert http_server.requests("/a.mp3")[1].range == f"bytes={len(BODY)}-"


@pytest.mark.parametrize("extra", [0, 1000], ids=["announced", "streamed"])
def test_the_size_cap(http_server: Server, tmp_path: Path, extra: int) -> None:
    """Over the cap by Content-Length is refused before a byte; by stream, as soon as it shows."""
    http_server.routes["/a.mp3"] = Route(BODY)
    options = FetchOptions(max_bytes=len(BODY) - 1 - extra, retries=0)
    with pytest.raises(BitesearchError, match="cap"):
        download(http_server.url("/a.mp3"), tmp_path / "a.mp3", options)
    assert not list(tmp_path.iterdir())


def test_redirects_are_followed_limited_and_rechecked(http_server: Server, tmp_path: Path) -> None:
    http_server.routes["/a.mp3"] = Route(BODY)
    http_server.routes["/r1"] = Route(redirect=http_server.url("/a.mp3"))
    download(http_server.url("/r1"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == BODY
    http_server.routes["/evil"] = Route(redirect="file:///etc/passwd")
    with pytest.raises(BitesearchError, match="only http and https"):
        download(http_server.url("/evil"), tmp_path / "b.mp3", FAST)
    http_server.routes["/loop"] = Route(redirect=http_server.url("/loop"))
    with pytest.raises(BitesearchError, match="redirect"):
        fetch_bytes(http_server.url("/loop"), FAST)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/a.mp3", "data:text/plain,hi", "http://"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(BitesearchError, match="only http and https"):
        check_url(url)


def test_a_timeout_is_retried(http_server: Server, tmp_path: Path) -> None:
    http_server.routes["/slow.mp3"] = Route(BODY, stall=1.5)
    options = FetchOptions(retries=2, backoff=0.01, timeout=0.5)
    result = download(http_server.url("/slow.mp3"), tmp_path / "a.mp3", options)
    assert result.attempts == 2 and (tmp_path / "a.mp3").read_bytes() == BODY


RESUMED = (bytes(range(256)) * 400)[:96_800]


def test_a_resume_answered_with_another_range_starts_over(
    http_server: Server, tmp_path: Path
) -> None:
    """Asked for bytes 48,400- of a part, the server sends bytes 72,600- as a 206: those 24,200
    bytes are not the rest of the file, nor the whole of it."""
    (tmp_path / "a.mp3.part").write_bytes(RESUMED[:48_400])
    http_server.routes["/a.mp3"] = Route(RESUMED, range_from=72_600)
    result = download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == RESUMED and result.size == 96_800
    assert [r.range for r in http_server.requests("/a.mp3")] == ["bytes=48400-", ""]


def test_a_206_without_a_content_range_is_not_trusted(http_server: Server, tmp_path: Path) -> None:
    (tmp_path / "a.mp3.part").write_bytes(RESUMED[:48_400])
    http_server.routes["/a.mp3"] = Route(RESUMED, content_range=False)
    download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == RESUMED
    assert [r.range for r in http_server.requests("/a.mp3")] == ["bytes=48400-", ""]


def test_a_resume_with_another_total_starts_over(http_server: Server, tmp_path: Path) -> None:
    """The file changed on the server between attempts: the 206's total is not the size the
    first answer gave, so the old part is not glued to the new file's tail."""
    changed = BODY[::-1] + b"and a little more"
    http_server.routes["/a.mp3"] = Route(BODY, drop_after=5000, then=changed)
    result = download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert (tmp_path / "a.mp3").read_bytes() == changed and result.size == len(changed)
    assert [r.range for r in http_server.requests("/a.mp3")] == ["", "bytes=5000-", ""]


def test_a_server_that_always_answers_the_wrong_range_gives_up(
    http_server: Server, tmp_path: Path
) -> None:
    """A 206 for bytes 0- without a Content-Range, even to a request for the whole file."""
    http_server.routes["/a.mp3"] = Route(RESUMED, status=206, content_range=False)
    with pytest.raises(
        BitesearchError, match=r"gave up after 4 attempts .*without a Content-Range"
    ):
        download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert not list(tmp_path.iterdir())


def test_a_small_body_cut_off_by_the_server_is_fetched_again(http_server: Server) -> None:
    """A feed or page shorter than its Content-Length was cut off: read again, not parsed."""
    body = b"<rss><channel>" + b"<item/>" * 1000 + b"</channel></rss>"
    http_server.routes["/feed.xml"] = Route(body, "application/rss+xml", drop_after=1000)
    assert fetch_bytes(http_server.url("/feed.xml"), FAST)[0] == body
    assert [r.sent for r in http_server.requests("/feed.xml")] == [1000, len(body)]
    http_server.routes["/short.xml"] = Route(body, "application/rss+xml", extra_length=10)
    with pytest.raises(BitesearchError, match=r"short.xml: gave up .*truncated"):
        fetch_bytes(http_server.url("/short.xml"), FAST)


def test_the_cap_on_feeds_and_pages_does_not_send_to_max_size(http_server: Server) -> None:
    """--max-size sets the cap on recordings; the one on feeds and pages is another."""
    http_server.routes["/feed.xml"] = Route(b"x" * 2000, "application/rss+xml")
    with pytest.raises(BitesearchError, match="1,000-byte cap for feeds and pages") as caught:
        fetch_bytes(http_server.url("/feed.xml"), FAST, limit=1000)
    assert "--max-size" not in str(caught.value)
