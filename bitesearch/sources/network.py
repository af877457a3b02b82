"""Which addresses bitesearch may reach: loopback, private, link-local and every other
non-global address is refused by default (a page or feed must not make bitesearch reach this
machine or its network).

Every URL's host is resolved and checked before it is opened and at each redirect
(`check_address`, `url_refusal`), and while bitesearch fetches (`network_guard`)
socket.getaddrinfo itself refuses such addresses, so no connection in the process (urllib's or
yt-dlp's) reaches one, even when a name resolves differently the second time (DNS rebinding).
FetchOptions.allow_private_network or BITESEARCH_ALLOW_PRIVATE_NETWORK=1 allows them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from bitesearch.errors import BitesearchError
from bitesearch.sources.common import FetchOptions


def shown(url: str) -> str:
    return url if len(url) < 120 else url[:117] + "..."


ALLOW_PRIVATE_ENV = "BITESEARCH_ALLOW_PRIVATE_NETWORK"


_ALLOW_HINT = "pass --allow-private-network to fetch from this machine or a private network"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses reached through a NAT64 gateway


class RefusedAddress(socket.gaierror):
    """A host name that resolves to an address bitesearch may not connect to. An OSError, as a
    failed lookup is, so urllib and yt-dlp pass it on as they pass on any other."""


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
    return f"refused {shown(url)}: {reason}; {_ALLOW_HINT}"


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

    @contextlib.contextmanager
    def holding(self, guard: Guard) -> Iterator[None]:
        """The guard open in this thread; the first strict one in the process installs the
        guarded getaddrinfo, and the last one out puts the original back."""
        self.stack().append(guard)
        if not guard.allow:
            with self.lock:
                self.strict.append(guard)
                if len(self.strict) == 1:
                    self.original = socket.getaddrinfo
                    self.guarded = _guarded(self.original, self)
                    socket.getaddrinfo = self.guarded
        try:
            yield
        finally:
            self.stack().remove(guard)
            if not guard.allow:
                self._release(guard)

    def _release(self, guard: Guard) -> None:
        with self.lock:
            self.strict.remove(guard)
            if self.strict:
                return
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
    with _RESOLVER.holding(guard):
        yield guard
