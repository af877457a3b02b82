"""Requests to this machine and private networks are refused by default (network.py's address
checks and network_guard, as listing.py and platforms.py use them), at every hop.

There is no DNS here, and a name under test must never be looked up for real: `dns` replaces
socket.getaddrinfo with a table (a name missing from it fails the test). A public server cannot
run here either: `public_server` lets the test server on 127.0.0.1 stand in for one by counting
127.0.0.1 (that address only) as public. Every other address stays refused, so a refused one is
never connected to (and conftest's no_internet would fail any connection off this machine).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bitesearch.errors import BitesearchError
from bitesearch.sources import network
from bitesearch.sources.common import SourceOptions
from bitesearch.sources.feeds import parse
from bitesearch.sources.fetch import FetchOptions, download, fetch_bytes, peek
from bitesearch.sources.listing import expand
from bitesearch.sources.network import RefusedAddress, address_kind, network_guard
from bitesearch.sources.platforms import items
from tests.conftest import run
from tests.httpserver import Route, Server
from tests.sitedata import THREE, Episode, feed_xml, serve_feed

FAST = FetchOptions(retries=1, backoff=0.01, timeout=5)
HINT = "; pass --allow-private-network to fetch from this machine or a private network"
REAL_GETADDRINFO = socket.getaddrinfo
INTRANET = "10.0.0.7, a private address"


@pytest.fixture(autouse=True)
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """As outside the tests: conftest's BITESEARCH_ALLOW_PRIVATE_NETWORK=1 removed."""
    monkeypatch.delenv("BITESEARCH_ALLOW_PRIVATE_NETWORK")


Table = dict[str, list[str]]  # a name's answers, one per lookup; the last one repeats


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Table:
    """socket.getaddrinfo answering from a table the test fills; IP literals answer themselves."""
    table: Table = {}

    def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, *rest: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in table:
            answers = table[name]
            address = answers.pop(0) if len(answers) > 1 else answers[0]
        else:
            try:
                address = str(ipaddress.ip_address(name))
            except ValueError:
                raise AssertionError(f"{name!r} would have been looked up for real") from None
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def public_server(http_server: Server, dns: Table, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The test server as a public host would be: 127.0.0.1 counts as public, nothing else."""
    kind = network.address_kind
    monkeypatch.setattr(network, "address_kind", lambda a: "" if a == "127.0.0.1" else kind(a))
    return http_server


def refusal(url: str, reason: str) -> str:
    return f"refused {url}: {reason}{HINT}"


@pytest.mark.parametrize(
    "get",
    [
        pytest.param(lambda url: fetch_bytes(url, FAST), id="fetch_bytes"),
        pytest.param(lambda url: peek(url, FAST), id="peek"),
        pytest.param(lambda url: expand(url, SourceOptions(fetch=FAST)), id="expand"),
    ],
)
def test_the_loopback_server_is_refused_before_any_request(
    http_server: Server, get: Callable[[str], Any]
) -> None:
    http_server.routes["/feed.xml"] = Route(b"<rss/>", "application/rss+xml")
    url = http_server.url("/feed.xml")
    with pytest.raises(BitesearchError) as caught:
        get(url)
    assert str(caught.value) == refusal(url, "127.0.0.1 is a loopback address")
    assert http_server.log == []


def test_a_download_from_the_loopback_server_is_refused(
    http_server: Server, tmp_path: Path
) -> None:
    http_server.routes["/a.mp3"] = Route(b"ID3" * 100, "audio/mpeg")
    with pytest.raises(BitesearchError, match=r"^refused .*loopback address; pass --allow"):
        download(http_server.url("/a.mp3"), tmp_path / "a.mp3", FAST)
    assert http_server.log == [] and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "command",
    [["ingest"], ["ingest", "--dry-run"], ["ingest", "--page"], ["programme"]],
    ids=["ingest", "dry-run", "page", "programme"],
)
def test_the_cli_refuses_in_one_line(http_server: Server, command: list[str]) -> None:
    http_server.routes["/posts/56"] = Route(b"<h1>Sam Milsom: Open data</h1>", "text/html")
    url = http_server.url("/posts/56")
    result = run(*command, url)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    line = f"Error: {refusal(url, '127.0.0.1 is a loopback address')}\n"
    assert result.stderr == line  # type: ignore[attr-defined]
    assert http_server.log == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.7", "a private address"),
        ("172.20.1.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("::1", "a loopback address"),
        ("fd00::7", "a private address"),
        ("::ffff:10.0.0.7", "a private address"),
    ],
)
def test_a_name_that_resolves_to_a_private_address_is_refused(
    dns: Table, address: str, kind: str
) -> None:
    dns["talks.example.org"] = [address]
    url = "http://talks.example.org:8000/feed.xml"
    with pytest.raises(BitesearchError) as caught:
        fetch_bytes(url, FAST)
    assert str(caught.value) == refusal(url, f"talks.example.org resolves to {address}, {kind}")


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_any_spelling_of_a_private_address_is_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C library's own reading of the odd numeric forms, never a lookup (AI_NUMERICHOST)."""

    def numeric(
        host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        return REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", numeric)
    with pytest.raises(BitesearchError, match=r"^refused .* address; pass --allow-private-network"):
        fetch_bytes(url, FAST)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.0.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.251", "a multicast address"),
        ("240.0.0.1", "a private address"),  # reserved, and Python counts it private too
        ("100.100.100.200", "not a public address"),  # shared (CGNAT); a cloud's metadata
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fc00::1", "a private address"),
        ("fe80::1%eth0", "a link-local address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 of 169.254.169.254
        ("2002:a00:7::", "a private address"),  # 6to4 of 10.0.0.7
        ("8.8.8.8", ""),
        ("93.184.215.14", ""),
        ("2606:4700:4700::1111", ""),
        ("64:ff9b::808:808", ""),  # NAT64 of 8.8.8.8
    ],
)
def test_what_counts_as_private(address: str, kind: str) -> None:
    assert address_kind(address) == kind


def test_a_name_that_resolves_elsewhere_when_connecting_is_refused(
    http_server: Server, dns: Table
) -> None:
    """DNS rebinding: public when checked, this machine when urllib connects a moment later."""
    http_server.routes["/feed.xml"] = Route(b"<rss/>", "application/rss+xml")
    dns["rebind.example.org"] = ["8.8.8.8", "127.0.0.1"]
    url = f"http://rebind.example.org:{http_server.port}/feed.xml"
    with pytest.raises(BitesearchError) as caught:
        fetch_bytes(url, FAST)
    reason = "rebind.example.org resolves to 127.0.0.1, a loopback address"
    assert str(caught.value) == refusal(url, reason)
    assert http_server.log == []


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://intranet.example.org/admin", f"intranet.example.org resolves to {INTRANET}"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused_at_the_hop(
    public_server: Server, dns: Table, tmp_path: Path, target: str, reason: str
) -> None:
    dns["intranet.example.org"] = ["10.0.0.7"]
    public_server.routes["/a.mp3"] = Route(b"ID3" * 100, "audio/mpeg")
    public_server.routes["/go.mp3"] = Route(redirect=public_server.url("/a.mp3"))
    public_server.routes["/evil.mp3"] = Route(redirect=target)
    assert download(public_server.url("/go.mp3"), tmp_path / "a.mp3", FAST).size == 300
    with pytest.raises(BitesearchError) as caught:
        download(public_server.url("/evil.mp3"), tmp_path / "b.mp3", FAST)
    assert str(caught.value) == refusal(target, reason)
    assert [r.path for r in public_server.log] == ["/go.mp3", "/a.mp3", "/evil.mp3"]


def test_a_feed_enclosure_on_a_private_address_is_a_refused_item(dns: Table) -> None:
    dns.update(cdn=["93.184.215.14"], intranet=["10.0.0.7"])
    episodes = [
        Episode(1, "2026-01-14", "", url="http://cdn/1.mp3"),
        Episode(2, "2026-02-11", "", url="http://intranet/2.mp3"),
        Episode(3, "2026-03-11", "", url="http://169.254.169.254/3.mp3"),
    ]
    third, second, first = parse(feed_xml(Server("cdn", 80), episodes), "http://cdn/feed.xml")
    assert not first.error
    assert second.error == refusal("http://intranet/2.mp3", f"intranet resolves to {INTRANET}")
    link_local = "169.254.169.254 is a link-local address"
    assert third.error == refusal("http://169.254.169.254/3.mp3", link_local)


def test_a_dry_run_of_a_feed_reports_the_private_enclosure_refused(
    public_server: Server, dns: Table, mp3_clips: list[Path]
) -> None:
    dns["intranet.example.org"] = ["192.168.1.20"]
    episodes = [*THREE[:2], Episode(3, "2026-03-11", "", url="http://intranet.example.org/3.mp3")]
    result = run("ingest", serve_feed(public_server, mp3_clips, episodes), "--dry-run", "--json")
    rows = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [r["status"] for r in rows] == ["refused", "would ingest", "would ingest"]
    assert [r.path for r in public_server.log] == ["/feed.xml", "/feed.xml"]  # peek, then read


@pytest.mark.parametrize("by", ["option", "variable"])
def test_allowing_private_networks_lets_the_loopback_server_through(
    http_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    if by == "variable":
        options = FetchOptions()
        monkeypatch.setenv("BITESEARCH_ALLOW_PRIVATE_NETWORK", "1")
    else:
        options = FetchOptions(allow_private_network=True)
    http_server.routes["/a.mp3"] = Route(b"ID3" * 100, "audio/mpeg")
    assert download(http_server.url("/a.mp3"), tmp_path / "a.mp3", options).size == 300
    assert fetch_bytes(http_server.url("/a.mp3"), options)[0] == b"ID3" * 100


def test_yt_dlp_is_refused_a_redirect_to_a_private_address(public_server: Server) -> None:
    """yt-dlp's own HTTP stack (not urllib's opener) meets the refusal: as the same one line."""
    public_server.routes["/watch"] = Route(redirect="http://169.254.169.254/latest/")
    url = public_server.url("/watch")
    with pytest.raises(BitesearchError) as caught:
        items(url, FetchOptions(retries=0))
    assert str(caught.value) == refusal(url, "169.254.169.254 is a link-local address")


def test_yt_dlp_downloading_from_a_private_address_fails_in_one_line(
    public_server: Server, dns: Table, own_archive: Path
) -> None:
    """The page lists its video on the public server, which redirects the download inward."""
    dns["intranet.example.org"] = ["10.0.0.7"]
    public_server.routes["/live"] = Route(
        b'<html><head><title>Data Bites #60</title></head><body><video src="/v/talk.mp4">'
        b"</video></body></html>",
        "text/html",
    )
    public_server.routes["/v/talk.mp4"] = Route(redirect="http://intranet.example.org/talk.mp4")
    url = public_server.url("/live")
    result = run("ingest", url)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    reason = f"intranet.example.org resolves to {INTRANET}"
    assert result.stderr == f"Error: {refusal(url, reason)}\n"  # type: ignore[attr-defined]
    assert not (own_archive / "downloads").exists()


def test_the_guard_holds_in_every_thread_and_restores_getaddrinfo(dns: Table) -> None:
    dns["intranet.example.org"] = ["10.0.0.7"]
    stub = socket.getaddrinfo
    found: dict[str, str] = {}

    def look_up(key: str, options: FetchOptions | None) -> None:
        try:
            if options is None:
                socket.getaddrinfo("intranet.example.org", 80)
            else:
                with network_guard(options):
                    socket.getaddrinfo("intranet.example.org", 80)
            found[key] = "resolved"
        except RefusedAddress as exc:
            found[key] = str(exc)

    with network_guard(FetchOptions()):
        assert socket.getaddrinfo is not stub
        allowing = FetchOptions(allow_private_network=True)
        threads = [
            threading.Thread(target=look_up, args=("bare thread", None)),
            threading.Thread(target=look_up, args=("allowing", allowing)),
            threading.Thread(target=look_up, args=("strict", FetchOptions())),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        look_up("here", None)
    refused = f"intranet.example.org resolves to {INTRANET}"
    assert found.pop("allowing") == "resolved"
    assert found == {"bare thread": refused, "strict": refused, "here": refused}
    assert socket.getaddrinfo is stub
    assert socket.getaddrinfo("intranet.example.org", 80)[0][4][0] == "10.0.0.7"


def test_the_guard_under_many_threads_restores_getaddrinfo(dns: Table) -> None:
    stub = socket.getaddrinfo
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for n in range(200):
                with network_guard(FetchOptions(allow_private_network=n % 3 == 0)):
                    socket.getaddrinfo("8.8.8.8", 80)
        except BaseException as exc:  # reported below: a thread's failure is not the test's
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and socket.getaddrinfo is stub


def test_the_users_own_proxy_may_be_on_a_private_network(
    dns: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy the environment names is the user's choice; the names fetched through it are not."""
    monkeypatch.setenv("https_proxy", "http://proxy.corp.example:3128")
    dns.update({"proxy.corp.example": ["10.0.0.9"], "intranet.example.org": ["10.0.0.7"]})
    with network_guard(FetchOptions()):
        assert socket.getaddrinfo("proxy.corp.example", 3128)[0][4][0] == "10.0.0.9"
        with pytest.raises(RefusedAddress):
            socket.getaddrinfo("intranet.example.org", 443)


def test_the_cli_flag_lets_the_loopback_server_through(http_server: Server) -> None:
    """`--allow-private-network` on `programme` and `ingest --dry-run` (the variable unset)."""
    from tests.sitedata import edition_page

    page_html = edition_page(http_server.url("/audio/56.mp3"))
    http_server.routes["/posts/56"] = Route(page_html, "text/html")
    url = http_server.url("/posts/56")
    page = run("programme", url, "--allow-private-network")
    assert page.exit_code == 0, page.stderr  # type: ignore[attr-defined]
    assert "Sam Milsom" in page.stdout  # type: ignore[attr-defined]
    feed = serve_feed(http_server, [], THREE[:1])
    listed = run("ingest", feed, "--dry-run", "--allow-private-network", "--json")
    assert listed.exit_code == 0, listed.stderr  # type: ignore[attr-defined]
    assert json.loads(listed.stdout)[0]["status"] == "would ingest"  # type: ignore[attr-defined]
