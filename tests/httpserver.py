"""A real HTTP server on 127.0.0.1 for the tests: files, feeds, pages, and the faults of the web.

Each route is a `Route`: a body and a content type, and optionally a fault: drop the connection
part-way (once), fail with a status a number of times, ignore Range, announce the wrong length,
redirect, answer a Range with the wrong bytes or without a Content-Range, or change the file
between requests. Every request is logged (path, Range header, bytes sent) so a test can prove what
was fetched.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    drop_after: int | None = None  # close the connection after this many bytes, the first time
    fail: int = 0  # answer `fail_status` this many times before answering properly
    fail_status: int = 500
    ignore_range: bool = False
    extra_length: int = 0  # announce this many more bytes than are sent (a lying server)
    redirect: str = ""  # answer 302 to this location
    stall: float = 0.0  # wait this many seconds before the body, the first time (a timeout)
    status: int = 200
    range_from: int | None = None  # answer any Range with the bytes from here (a wrong range)
    content_range: bool = True  # False: a 206 without its Content-Range header
    then: bytes | None = None  # the body from the second request on (the file changed)


@dataclass
class Request:
    path: str
    range: str
    sent: int  # body bytes written


@dataclass
class Server:
    host: str
    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]


class _Handler(BaseHTTPRequestHandler):
    server_state: Server  # set on the subclass made for each server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        route = self.server_state.routes.get(path)
        entry = Request(path, self.headers.get("Range", ""), 0)
        self.server_state.log.append(entry)
        if route is None:
            return self._plain(404, b"not found")
        if route.fail:
            route.fail -= 1
            return self._plain(route.fail_status, b"try again")
        if route.redirect:
            self.send_response(302)
            self.send_header("Location", route.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self._body(route, entry)
        return None

    def _plain(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self, route: Route, entry: Request) -> None:
        body, start = route.body, 0
        if route.then is not None:
            route.body, route.then = route.then, None
        match = re.match(r"bytes=(\d+)-$", entry.range)
        if match and not route.ignore_range:
            start = int(match.group(1)) if route.range_from is None else route.range_from
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            if route.content_range:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(route.status)
        chunk = body[start:]
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(chunk) + route.extra_length))
        self.send_header("Accept-Ranges", "none" if route.ignore_range else "bytes")
        self.end_headers()
        if route.stall:
            stall, route.stall = route.stall, 0.0
            self.wfile.flush()
            time.sleep(stall)
            self.close_connection = True
            return
        if route.drop_after is not None:
            chunk, route.drop_after = chunk[: route.drop_after], None
            self.close_connection = True
        if route.extra_length:
            self.close_connection = True
        # logged before writing: the client can finish reading (and a test look at the log)
        # before this thread gets past the write
        entry.sent = len(chunk)
        with contextlib.suppress(ConnectionError):  # the client hung up (a range it distrusts)
            self.wfile.write(chunk)
            self.wfile.flush()


def start() -> tuple[Server, ThreadingHTTPServer]:
    """A server on a free port of 127.0.0.1, serving from a thread until shut down."""
    handler = type("Handler", (_Handler,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state = Server("127.0.0.1", httpd.server_address[1])
    handler.server_state = state  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd
