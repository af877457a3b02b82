"""YouTube, SoundCloud and web pages with a <video> or <audio>, through yt-dlp as a library.

yt-dlp lists a single recording or a playlist, and downloads the best audio (and, when asked,
captions) into the archive's downloads/ folder under a name made from a hash of the item's id.
Its id, title, upload date, description and chapters are kept; chapters titled "Speaker: Talk"
become the edition's talks, with their times. Only http and https URLs are handed to it or
accepted from it, and it runs inside fetch.network_guard, so none of its connections reaches
this machine or a private network unless the options allow it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from bitesearch.errors import BitesearchError
from bitesearch.models import Programme, ProgrammeTalk
from bitesearch.sources.common import (
    Item,
    SourceOptions,
    edition_number,
    parse_talk_line,
    series_name,
)
from bitesearch.sources.fetch import ByteProgress, FetchOptions, check_url
from bitesearch.sources.network import check_address, network_guard, refused

# the best audio fetched over http(s), plain or as an HLS playlist (whose segments are http(s));
# never rtmp, rtsp or mms
HTTP_ONLY = "/".join(
    f"{kind}[protocol^={protocol}]"
    for kind in ("bestaudio", "best")
    for protocol in ("http", "m3u8")
)
CAPTION_LANGS = ["en", "en-GB", "en-US", "en.*"]


class _Quiet:
    """yt-dlp's logger: its chatter is dropped, its errors become the exception we raise."""

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        pass


def _params(fetch: FetchOptions, **extra: Any) -> dict[str, Any]:
    return {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _Quiet(),
        "socket_timeout": fetch.timeout,
        "retries": fetch.retries,
        "max_filesize": fetch.max_bytes,
        "noplaylist": False,
        "extract_flat": "in_playlist",
        "enable_file_urls": False,
        # yt-dlp's own downloaders, in this process, where network_guard sees their connections
        # (an ffmpeg subprocess resolves names itself); live streams, which still go to ffmpeg,
        # are refused (refuse_live)
        "external_downloader": {"default": "native"},
        "color": {"stdout": "never", "stderr": "never"},
        **extra,
    }


def _extract(
    url: str,
    fetch: FetchOptions,
    params: dict[str, Any],
    download: bool = False,
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """yt-dlp's info for url (downloading when asked); from `info` already extracted, if given.
    yt-dlp runs inside network_guard: whichever of its requests meets an address the options
    do not allow (a redirect, a media or caption URL), it ends in that one refusal line."""
    import yt_dlp

    check_address(check_url(url), fetch)
    with network_guard(fetch) as guard:
        try:
            with yt_dlp.YoutubeDL(params) as ydl:
                if info is not None:
                    result = ydl.process_ie_result(dict(info), download=download)
                else:
                    result = ydl.extract_info(url, download=download)
                return dict(ydl.sanitize_info(result))
        except Exception as exc:
            if guard.refused:  # however yt-dlp wrapped it, or kept only its text
                raise BitesearchError(refused(url, guard.refused[0])) from None
            if not isinstance(exc, yt_dlp.utils.YoutubeDLError):
                raise
            message = re.sub(r"^ERROR:\s*", "", str(exc)).splitlines()[0]
            raise BitesearchError(f"{url}: {message}") from None


def items(url: str, fetch: FetchOptions) -> list[Item]:
    """The recordings at url: one, or each entry of a playlist (newest first, as listed)."""
    info = _extract(url, fetch, _params(fetch))
    if info.get("_type") == "playlist":
        return [_item(entry, _resolved(entry)) for entry in info.get("entries") or [] if entry]
    return [_item(info, info)]


def _resolved(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A playlist entry yt-dlp already resolved (not a bare link to extract later)."""
    return None if entry.get("_type") in ("url", "url_transparent") else entry


def _item(info: dict[str, Any], full: dict[str, Any] | None) -> Item:
    if full is None:  # a link to extract when its turn comes (e.g. a YouTube playlist entry)
        page = str(info.get("url") or info.get("webpage_url") or "")
    else:
        page = str(info.get("webpage_url") or info.get("url") or "")
    title = str(info.get("title") or "")
    date = _date(info.get("upload_date"))
    chapters = chapters_of(info)
    item = Item(
        id=f"{str(info.get('ie_key') or info.get('extractor_key') or 'media').lower()}:"
        f"{info.get('id')}",
        kind="media",
        location=page,
        title=title,
        date=date,
        description=str(info.get("description") or ""),
        link=page,
        chapters=chapters,
        programme=_programme(title, date, page, chapters),
        info=full,
    )
    try:
        check_url(page)
    except BitesearchError as exc:
        item.error = str(exc)
    return item


def chapters_of(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"start": float(c.get("start_time") or 0), "end": c.get("end_time"), "title": c["title"]}
        for c in info.get("chapters") or []
        if c.get("title")
    ]


def _programme(title: str, date: str, page: str, chapters: list[dict[str, Any]]) -> Programme:
    talks = []
    for chapter in chapters:
        parsed = parse_talk_line(chapter["title"])
        if parsed:
            speakers, talk_title = parsed
            end = chapter["end"]
            talks.append(
                ProgrammeTalk(
                    speakers, talk_title, [], chapter["start"], float(end) if end else None
                )
            )
    return Programme(
        series=series_name(title),
        edition=edition_number(title),
        title=title,
        date=date,
        recording=page,
        talks=talks,
    )


def _date(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{8}", value):
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
    return ""


def download(
    item: Item,
    folder: Path,
    stem: str,
    options: SourceOptions,
    progress: ByteProgress | None = None,
) -> tuple[Path, Path | None]:
    """The item's best audio as folder/stem.EXT (resumed by yt-dlp from its .part), and its
    English captions as folder/stem.LANG.vtt when options.captions asks for them."""
    done = [p for p in folder.glob(f"{stem}.*") if _is_media(p)] if folder.is_dir() else []
    if done and not options.captions:
        return done[0], None
    params = _params(
        options.fetch,
        format=HTTP_ONLY,
        progress_hooks=[_hook(progress)] if progress else [],
        outtmpl={"default": str(folder / f"{stem}.%(ext)s")},
        restrictfilenames=True,
        noplaylist=True,
        continuedl=True,
        writesubtitles=options.captions,
        writeautomaticsub=options.captions,
        subtitleslangs=CAPTION_LANGS,
        subtitlesformat="vtt/srt/best",
        match_filter=refuse_live,
    )
    folder.mkdir(parents=True, exist_ok=True)
    _check_formats(item, options.fetch)
    info = _extract(item.location, options.fetch, params, download=True, info=item.info)
    path = _downloaded(info, folder, stem)
    if path.stat().st_size > options.fetch.max_bytes:
        path.unlink()
        raise BitesearchError(
            f"{item.location} is larger than the {options.fetch.max_bytes:,}-byte cap"
        )
    return path, _captions(info)


def refuse_live(info: dict[str, Any], *, incomplete: bool = False) -> str | None:
    """yt-dlp's match_filter on a download: a live stream is refused, not recorded (yt-dlp
    would hand it to ffmpeg, out of network_guard's sight, and it has no end to wait for)."""
    if info.get("is_live"):
        where = info.get("webpage_url") or info.get("url") or info.get("id")
        raise BitesearchError(f"{where} is a live stream: bitesearch ingests recordings")
    return None


def _hook(progress: ByteProgress) -> Any:
    def hook(status: dict[str, Any]) -> None:
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        progress(int(status.get("downloaded_bytes") or 0), int(total) if total else None)

    return hook


def _check_formats(item: Item, fetch: FetchOptions) -> None:
    """A listed recording whose media URL is not http(s), or is on an address the options do
    not allow, is refused before yt-dlp fetches it."""
    if item.info and item.info.get("url"):
        check_address(check_url(str(item.info["url"])), fetch)


def _is_media(path: Path) -> bool:
    return path.suffix not in (".part", ".vtt", ".srt", ".ytdl", ".json") and path.is_file()


def _downloaded(info: dict[str, Any], folder: Path, stem: str) -> Path:
    for download in info.get("requested_downloads") or []:
        path = Path(download.get("filepath") or "")
        if path.is_file():
            return path
    found = [p for p in folder.glob(f"{stem}.*") if _is_media(p)]
    if not found:
        raise BitesearchError(f"{info.get('webpage_url')}: yt-dlp downloaded no audio")
    return found[0]


def _captions(info: dict[str, Any]) -> Path | None:
    for track in (info.get("requested_subtitles") or {}).values():
        path = Path(track.get("filepath") or "")
        if path.is_file() and path.suffix in (".vtt", ".srt"):
            return path
    return None
