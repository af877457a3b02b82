"""HTTP downloads that survive real networks: resume, retry, cap, and refuse odd schemes and
addresses.

A download streams into `NAME.part` beside its target. After a dropped connection the next
attempt (or the next run) asks for the rest with an HTTP Range header; a server that ignores
Range sends the whole file again, and the part is started over, as it is when a 206 answer's
Content-Range is missing or names another start or another size than the file's. 5xx answers
and timeouts are retried with exponential backoff; 4xx answers fail at once. Only http and
https are fetched, redirects are limited and every hop is re-checked, and a size cap applies
both to the announced Content-Length and to the bytes actually streamed.

Which addresses may be reached is network.py's to say.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from bitesearch.errors import BitesearchError
from bitesearch.sources.common import FetchOptions
from bitesearch.sources.network import (
    RefusedAddress,
    check_address,
    network_guard,
    refused,
    shown,
)

SCHEMES = ("http", "https")
CHUNK = 1 << 16
USER_AGENT = "bitesearch (+https://github.com/bitesearch)"
PAGE_MAX_BYTES = 20 * 1024**2  # feeds and pages are text; 20 MB is already absurd

ByteProgress = Callable[[int, int | None], None]  # (bytes on disk, total if known)


@dataclass
class Download:
    path: Path
    url: str  # where the bytes came from, after redirects
    size: int
    resumed_from: int  # bytes already in the .part file when this download began
    fetched: int  # bytes transferred by this download (all attempts)
    attempts: int


class _Retry(Exception):
    """A failure worth another attempt (5xx, timeout, dropped connection)."""


def check_url(url: str) -> str:
    """url itself when it is http(s) with a host; else a BitesearchError saying why not."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise BitesearchError(f"refusing {shown(url)!r}: only http and https URLs are fetched")
    return url


def is_url(text: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text))


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows at most max_redirects hops, each to an http(s) URL on an address allowed."""

    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self.max_redirections = options.max_redirects  # type: ignore[misc]
        self.max_repeats = min(options.max_redirects, 4)  # type: ignore[misc]

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        check_address(check_url(newurl), self.options)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(options: FetchOptions) -> urllib.request.OpenerDirector:
    """An opener with http(s) handlers only: no file:, ftp: or data: handler exists to misuse."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _CheckedRedirects(options),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _open(url: str, options: FetchOptions, headers: dict[str, str]) -> Any:
    check_address(check_url(url), options)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    try:
        with network_guard(options):
            return _opener(options).open(request, timeout=options.timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:
            return exc  # Range Not Satisfiable: the caller reads its Content-Range
        if exc.code >= 500 or exc.code == 429:
            raise _Retry(f"HTTP {exc.code} {exc.reason}") from None
        if exc.code in (301, 302, 303, 307, 308):  # a redirect urllib would not follow
            check_url(urljoin(url, exc.headers.get("Location", "")))
            raise BitesearchError(f"{url}: too many redirects") from None
        raise BitesearchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, BitesearchError):
            raise exc.reason from None
        if isinstance(exc.reason, RefusedAddress):  # the name resolved elsewhere this time
            raise BitesearchError(refused(url, str(exc.reason))) from None
        if isinstance(exc.reason, socket.timeout | TimeoutError | ConnectionError):
            raise _Retry(f"{exc.reason}") from None
        raise BitesearchError(f"{url}: {exc.reason}") from None
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise _Retry(f"{exc.__class__.__name__}") from None


def _with_retries(func: Callable[[], Any], url: str, options: FetchOptions) -> Any:
    """func() again after each _Retry, waiting backoff, 2 x backoff, ... between attempts."""
    for attempt in range(options.retries + 1):
        try:
            return func()
        except _Retry as exc:
            if attempt == options.retries:
                raise BitesearchError(
                    f"{url}: gave up after {attempt + 1} attempts (last: {exc})"
                ) from None
            time.sleep(options.backoff * 2**attempt)
    raise AssertionError("unreachable")


def fetch_bytes(url: str, options: FetchOptions, limit: int = PAGE_MAX_BYTES) -> tuple[bytes, str]:
    """The body of a small resource (a feed, a page) and its final URL, retried and capped; a
    body shorter than its Content-Length (the connection closed early) is fetched again."""

    def attempt() -> tuple[bytes, str]:
        with _open(url, options, {}) as response:
            length = _length(response)
            _check_size(url, length, limit, _PAGE_CAP)
            try:
                body = response.read(limit + 1)
            except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                raise _Retry(exc.__class__.__name__) from None
            _check_size(url, len(body), limit, _PAGE_CAP)
            if length is not None and len(body) < length:
                raise _Retry(
                    f"truncated: the connection closed after {len(body):,} of {length:,} bytes"
                )
            return body, response.geturl()

    result: tuple[bytes, str] = _with_retries(attempt, url, options)
    return result


def peek(url: str, options: FetchOptions, size: int = 1024) -> tuple[str, bytes]:
    """The Content-Type and first bytes of url: enough to tell a feed from a page or a file."""

    def attempt() -> tuple[str, bytes]:
        with _open(url, options, {}) as response:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            try:
                return kind, response.read(size)
            except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                raise _Retry(exc.__class__.__name__) from None

    result: tuple[str, bytes] = _with_retries(attempt, url, options)
    return result


def download(
    url: str, target: Path, options: FetchOptions, progress: ByteProgress | None = None
) -> Download:
    """Stream url to target via target.part, resuming a part left by an earlier attempt or run."""
    part = target.with_name(target.name + ".part")
    state = _State(url, part, options, progress, resumed_from=_size(part))
    _with_retries(state.attempt, url, options)
    size = _size(part)
    if state.total is not None and size != state.total:
        part.unlink(missing_ok=True)
        raise BitesearchError(f"{url}: {size:,} bytes downloaded, but the file has {state.total:,}")
    os.replace(part, target)
    return Download(
        target, state.final_url, _size(target), state.resumed_from, state.fetched, state.attempts
    )


@dataclass
class _State:
    url: str
    part: Path
    options: FetchOptions
    progress: ByteProgress | None
    resumed_from: int
    fetched: int = 0
    attempts: int = 0
    final_url: str = ""
    total: int | None = None  # the file's size, by the latest answer that gave it

    def attempt(self) -> None:
        self.attempts += 1
        have = _size(self.part)
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = _open(self.url, self.options, headers)
        with response:
            self.final_url = response.geturl()
            if response.status == 416:
                self._range_not_satisfiable(response, have)
                return
            if response.status == 206:
                self.total = self._checked_range(response, have)
            else:  # the whole file (the server ignored Range): start the part over
                have, self.total = 0, _length(response)
            self._stream(response, have)

    def _checked_range(self, response: Any, have: int) -> int | None:
        """The file's size by a 206 answer that sends the bytes from `have` on; an answer for
        another start or another size, or none, is not trusted: the part is started over."""
        start, total = _content_range(response)
        if start is None:
            problem = "without a Content-Range"
        elif start != have:
            problem = f"for bytes {start:,}- when bytes {have:,}- were asked for"
        elif total is not None and self.total is not None and total != self.total:
            problem = f"says the file has {total:,} bytes, not {self.total:,}"
        else:
            return total if total is not None else self.total
        self.part.unlink(missing_ok=True)
        self.total = None
        raise _Retry(f"HTTP 206 {problem}: starting over")

    def _range_not_satisfiable(self, response: Any, have: int) -> None:
        _start, total = _content_range(response)
        if total == have and have > 0:
            self.total = total  # the part holds every byte (an earlier answer lied about length)
            return
        self.part.unlink(missing_ok=True)
        self.total = None
        raise _Retry("HTTP 416 for a partial download: starting over")

    def _stream(self, response: Any, have: int) -> None:
        length = _length(response)
        total = self.total if self.total is not None or length is None else have + length
        _check_size(self.url, total or 0, self.options.max_bytes)
        self.part.parent.mkdir(parents=True, exist_ok=True)  # just before: see fetch_item
        with self.part.open("ab" if have else "wb") as out:
            done = have
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                    raise _Retry(f"connection lost after {done} bytes ({exc})") from None
                if not chunk:
                    break
                done += len(chunk)
                _check_size(self.url, done, self.options.max_bytes, part=self.part)
                out.write(chunk)
                self.fetched += len(chunk)
                if self.progress:
                    self.progress(done, total)
        if total is not None and done < total:
            raise _Retry(f"connection closed after {done} of {total} bytes")


_DOWNLOAD_CAP = " (--max-size raises it)"
_PAGE_CAP = " for feeds and pages"  # fixed: --max-size is the cap on recordings


def _check_size(
    url: str, size: int | None, limit: int, hint: str = _DOWNLOAD_CAP, part: Path | None = None
) -> None:
    if size is not None and size > limit:
        if part is not None:
            part.unlink(missing_ok=True)
        raise BitesearchError(f"{url} is larger than the {limit:,}-byte cap{hint}")


def _length(response: Any) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.strip().isdigit() else None


def _content_range(response: Any) -> tuple[int | None, int | None]:
    """(start, total) from 'Content-Range: bytes 100-199/1000' (total None for '/*'); the
    total alone from a 416's 'bytes */1000'; (None, None) without one."""
    header = response.headers.get("Content-Range", "")
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", header)
    if not match:
        return None, None
    start, total = match.groups()
    return int(start) if start else None, int(total) if total != "*" else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def parse_size(text: str) -> int:
    """Bytes from '2GB', '500MB', '750k' or a plain number of bytes (decimal units)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise BitesearchError(f"not a size: {text!r} (use e.g. 500MB or 2GB)")
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}[match.group(2)]
    return int(float(match.group(1)) * scale)
