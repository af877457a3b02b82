"""What `ingest` is given, turned into source items with stable ids, and an item fetched.

A SOURCE is a local file (audio, video, or a transcript), an http(s) URL of a media file, a
podcast feed, or a page yt-dlp knows (YouTube, SoundCloud, a page with a <video>). Each item
has a stable id (the feed's guid or enclosure URL, yt-dlp's id, the content hash of a file),
recorded in edition.json, so a second run finds the edition without downloading anything, and
a download interrupted by a crash resumes from its .part file.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from bitesearch.archive import Archive
from bitesearch.audio import probe, sha256_file
from bitesearch.errors import BitesearchError
from bitesearch.sources import feeds, platforms
from bitesearch.sources.common import MEDIA_SUFFIXES, Item, SourceOptions, bound, is_platform
from bitesearch.sources.fetch import ByteProgress, check_url, download, fetch_bytes, is_url, peek
from bitesearch.sources.network import check_address, network_guard


def expand(source: str, options: SourceOptions) -> list[Item]:
    """The items a SOURCE names, bounded by --since and --limit. A URL on an address the
    options do not allow (this machine, a private network) is refused before it is fetched."""
    if not is_url(source):
        return [Item(id="", kind="file", location=source)]
    check_address(check_url(source), options.fetch)
    with network_guard(options.fetch):
        if is_platform(source):
            items = platforms.items(source, options.fetch)
        else:
            items = _by_content(source, options)
    return bound(items, options.since, options.limit)


def _by_content(url: str, options: SourceOptions) -> list[Item]:
    """A media file, a feed, or a web page (for yt-dlp), told apart by what the server sends."""
    if _suffix(url) in MEDIA_SUFFIXES:
        return [_url_item(url)]
    content_type, head = peek(url, options.fetch)
    if content_type.startswith(("audio/", "video/")):
        return [_url_item(url)]
    if feeds.looks_like_feed(head, content_type):
        data, final = fetch_bytes(url, options.fetch)
        return feeds.parse(data, final, options.fetch)
    return platforms.items(url, options.fetch)


def _url_item(url: str) -> Item:
    return Item(id=f"url:{url}", kind="url", location=url, link=url, title=_name(url))


def _name(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _suffix(url: str) -> str:
    from urllib.parse import urlsplit

    return Path(urlsplit(url).path).suffix.lower()


def fetch_item(
    archive: Archive, item: Item, options: SourceOptions, progress: ByteProgress | None = None
) -> tuple[Path, Path | None]:
    """The item's audio in downloads/ (and captions, when asked for), proven to decode. A
    failed download leaves no empty downloads/ folder behind."""
    try:
        with network_guard(options.fetch):
            path, captions = _fetch(archive, item, options, progress)
    except BaseException:
        _remove_if_empty(archive.downloads)
        raise
    try:
        probe(path)
    except BitesearchError as exc:
        path.unlink(missing_ok=True)
        _remove_if_empty(archive.downloads)
        raise BitesearchError(f"{item.location}: the download does not decode ({exc})") from None
    return path, captions


def _fetch(
    archive: Archive, item: Item, options: SourceOptions, progress: ByteProgress | None
) -> tuple[Path, Path | None]:
    stem = hashlib.sha256(item.id.encode()).hexdigest()[:16]  # never a name from a title
    if item.kind == "media":
        return platforms.download(item, archive.downloads, stem, options, progress)
    path = archive.downloads / f"{stem}{_safe_suffix(item.location)}"
    if not path.exists():
        download(item.location, path, options.fetch, progress)
    return path, None


def _remove_if_empty(folder: Path) -> None:
    """folder removed when nothing is in it; another item's download may be (--jobs): kept."""
    with contextlib.suppress(OSError):
        folder.rmdir()


def _safe_suffix(url: str) -> str:
    suffix = _suffix(url)
    return suffix if suffix in MEDIA_SUFFIXES else ".media"


def dry_run_status(archive: Archive, item: Item) -> str:
    """What ingest would do with the item, found without downloading or decoding it."""
    if item.error:
        return "refused"
    if item.kind == "file":
        path = Path(item.location)
        known = path.is_file() and archive.find_by_sha(sha256_file(path))
        return "up to date" if known else "would ingest"
    return "up to date" if archive.find_by_item(item.id) else "would ingest"
