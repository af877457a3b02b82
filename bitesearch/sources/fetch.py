"""HTTP downloads that survive real networks: resume, retry, cap, and refuse odd schemes and
addresses.

A download streams into `NAME.part` beside its target. After a dropped connection the next
attempt (or the next run) asks for the rest with an HTTP Range header; a server that ignores
Range sends the whole file again, and the part is started over, as it is when a 206 answer's
Content-Range is missing or names another start or another size than the file's. 5xx answers
and timeouts are retried with exponential backoff; 4xx answers fail at once. Only http and
https are fetched, redirects are limited and every hop is re-checked, and a size cap applies
both to the announced Content-Length and to the bytes actually streamed.

Loopback, private, link-local and other non-public addresses are refused by default (a page or
feed must not make bitesearch reach this machine or its network): every URL's host is resolved
and checked before it is opened and at each redirect, and while bitesearch fetches
(`network_guard`) socket.getaddrinfo itself refuses them, so no connection in the process
(urllib's or yt-dlp's) reaches one, even when a name resolves differently the second time (DNS
rebinding). FetchOptions.allow_private_network or BITESEARCH_ALLOW_PRIVATE_NETWORK=1 allows them.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

from bitesearch.errors import BitesearchError

SCHEMES = ("http", "https")
CHUNK = 1 << 16
USER_AGENT = "bitesearch (+https://github.com/bitesearch)"
DEFAULT_MAX_BYTES = 2 * 10**9  # 2 GB: a three-hour video is well under it
PAGE_MAX_BYTES = 20 * 1024**2  # feeds and pages are text; 20 MB is already absurd
ALLOW_PRIVATE_ENV = "BITESEARCH_ALLOW_PRIVATE_NETWORK"
_ALLOW_HINT = "pass --allow-private-network to fetch from this machine or a private network"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses reached through a NAT64 gateway

ByteProgress = Callable[[int, int | None], None]  # (bytes on disk, total if known)


@dataclass(frozen=True)
class FetchOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 4  # further attempts after the first
    backoff: float = 0.5  # seconds before the first retry, doubled for each one after
    timeout: float = 30.0  # seconds without a byte before an attempt counts as failed
    max_redirects: int = 5
    # True lets requests reach loopback, private and link-local addresses (refused by default)
    allow_private_network: bool = False


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


class RefusedAddress(socket.gaierror):
    """A host name that resolves to an address bitesearch may not connect to. An OSError, as a
    failed lookup is, so urllib and yt-dlp pass it on as they pass on any other."""


def check_url(url: str) -> str:
    """url itself when it is http(s) with a host; else a BitesearchError saying why not."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise BitesearchError(f"refusing {_shown(url)!r}: only http and https URLs are fetched")
    return url


def is_url(text: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text))


def _shown(url: str) -> str:
    return url if len(url) < 120 else url[:117] + "..."


def private_network_allowed(options: FetchOptions) -> bool:
    """options.allow_private_network, or BITESEARCH_ALLOW_PRIVATE_NETWORK=1 in the environment."""
    value = os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower()
    return options.allow_private_network or value in ("1", "true", "yes")


def address_kind(address: str) -> str:
    """What puts an IP address off limits ('a link-local address'); '' for a public one."""
    try:
        ip = _embedded(ipaddress.ip_address(address.split("%", 1)[0]))  # no IPv6 scope
    except ValueError:
        return "not an IP address"
    for kind, flag in (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a private", ip.is_private),
        ("a reserved", ip.is_reserved),
    ):
        if flag:
            return f"{kind} address"
    return "" if ip.is_global else "not a public address"  # e.g. 100.64/10, shared (CGNAT)


def _embedded(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Any:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 IPv6 address stands for; else ip."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def host_refusal(host: str, port: int | None = None) -> str:
    """Why host may not be fetched from ('internal resolves to 10.0.0.7, a private address'),
    or ''. A name that does not resolve is left for the request itself to report."""
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]  # a literal: nothing to look up
    except ValueError:
        try:
            addresses = [
                str(i[4][0]) for i in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
            ]
        except RefusedAddress as exc:  # inside network_guard: the lookup itself refused it
            return str(exc)
        except (OSError, UnicodeError):
            return ""
    return _refusal(host, addresses)


def _refusal(host: str, addresses: list[str]) -> str:
    for address in addresses:
        if kind := address_kind(address):
            literal = host.strip("[]").lower() == address.lower()
            return f"{host} is {kind}" if literal else f"{host} resolves to {address}, {kind}"
    return ""


def refused(url: str, reason: str) -> str:
    """The one line a refused address is reported with."""
    return f"refused {_shown(url)}: {reason}; {_ALLOW_HINT}"


def check_address(url: str, options: FetchOptions) -> str:
    """url itself when its host may be fetched from (a public address, or any when options
    allow private ones); else a BitesearchError naming the address."""
    if line := url_refusal(url, options):
        raise BitesearchError(line)
    return url


def url_refusal(
    url: str, options: FetchOptions, known: dict[tuple[str, int], str] | None = None
) -> str:
    """The line url is refused with, or '' when it may be fetched; `known` keeps each host's
    verdict, so a feed's hundred enclosures on one host cost one lookup."""
    if private_network_allowed(options):
        return ""
    parts = urlsplit(url)
    key = (parts.hostname or "", _port(parts))
    known = {} if known is None else known
    if key not in known:
        known[key] = host_refusal(*key)
    return refused(url, known[key]) if known[key] else ""


def _port(parts: SplitResult) -> int:
    try:
        return parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:  # not a port number: the request reports it
        return 80


@dataclass(eq=False)
class Guard:
    """An open network_guard: whether it allows private addresses, and what it refused (in its
    own thread, or in a thread inside no guard, such as one yt-dlp starts)."""

    allow: bool
    refused: list[str]


class _Resolver:
    """socket.getaddrinfo, replaced while any thread is inside a strict network_guard and
    restored when the last one leaves. Each thread's innermost guard decides for it; a thread
    inside none gets the strict answer while any strict guard is open."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.strict: list[Guard] = []  # open in any thread
        self.original: Any = None
        self.guarded: Any = None
        self.local = threading.local()  # .stack: this thread's open guards, innermost last

    def stack(self) -> list[Guard]:
        if not hasattr(self.local, "stack"):
            self.local.stack = []
        stack: list[Guard] = self.local.stack
        return stack

    def enter(self, guard: Guard) -> None:
        self.stack().append(guard)
        if guard.allow:
            return
        with self.lock:
            self.strict.append(guard)
            if len(self.strict) == 1:
                self.original = socket.getaddrinfo
                self.guarded = _guarded(self.original, self)
                socket.getaddrinfo = self.guarded

    def leave(self, guard: Guard) -> None:
        self.stack().remove(guard)
        if guard.allow:
            return
        with self.lock:
            self.strict.remove(guard)
            if not self.strict:
                if socket.getaddrinfo is self.guarded:  # else someone replaced it since: theirs
                    socket.getaddrinfo = self.original
                self.original = self.guarded = None

    def check(self, host: str, infos: Any) -> None:
        """RefusedAddress, noted in the guards it concerns, when host may not be reached."""
        stack = self.stack()
        if (stack and stack[-1].allow) or host in _proxy_hosts():
            return  # the user's own proxy may well be on their network
        if reason := _refusal(host, [str(info[4][0]) for info in infos]):
            with self.lock:
                for guard in stack or self.strict:
                    guard.refused.append(reason)
            raise RefusedAddress(reason)


def _guarded(original: Any, resolver: _Resolver) -> Any:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        infos = original(host, port, *args, **kwargs)
        resolver.check(host.decode() if isinstance(host, bytes) else str(host), infos)
        return infos

    return getaddrinfo


def _proxy_hosts() -> set[str]:
    return {urlsplit(v).hostname or "" for v in urllib.request.getproxies().values()} - {""}


_RESOLVER = _Resolver()


@contextlib.contextmanager
def network_guard(options: FetchOptions) -> Iterator[Guard]:
    """While inside, every host name this process resolves (for urllib, yt-dlp, anything) must
    resolve to public addresses only, unless options allow private ones. Re-entrant and
    thread-safe; socket.getaddrinfo is itself again once the last strict guard is left."""
    guard = Guard(private_network_allowed(options), [])
    _RESOLVER.enter(guard)
    try:
        yield guard
    finally:
        _RESOLVER.leave(guard)


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
