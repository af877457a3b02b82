"""A SOURCE listed and an item fetched (listing.py): what a failed download leaves behind."""

from pathlib import Path

import pytest

from bitesearch.archive import Archive
from bitesearch.errors import BitesearchError
from bitesearch.sources.common import Item, SourceOptions
from bitesearch.sources.fetch import FetchOptions
from bitesearch.sources.listing import fetch_item
from tests.conftest import run
from tests.httpserver import Route, Server

FAST = SourceOptions(fetch=FetchOptions(retries=0, timeout=5))


@pytest.mark.parametrize(
    ("path", "error"),
    [("/missing.mp3", "HTTP 404"), ("/noise.mp3", "does not decode")],
    ids=["not-found", "not-audio"],
)
def test_a_failed_url_ingest_leaves_no_empty_downloads_folder(
    http_server: Server, own_archive: Path, path: str, error: str
) -> None:
    http_server.routes["/noise.mp3"] = Route(b"not audio at all" * 100, "audio/mpeg")
    result = run("ingest", http_server.url(path))
    assert result.exit_code == 1 and error in result.stderr  # type: ignore[attr-defined]
    assert not (own_archive / "downloads").exists()


def test_a_failed_download_keeps_the_folder_another_download_is_using(
    http_server: Server, own_archive: Path
) -> None:
    """With --jobs, another item's .part may be in downloads/: the folder stays, and it too."""
    archive = Archive(own_archive)
    other = archive.downloads / "0123456789abcdef.mp3.part"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"half a recording")
    item = Item(id="url:x", kind="url", location=http_server.url("/missing.mp3"))
    with pytest.raises(BitesearchError, match="HTTP 404"):
        fetch_item(archive, item, FAST)
    assert list(archive.downloads.iterdir()) == [other]
