"""A webhook receiver on loopback for the notify tests: it answers 200, answers 500,
or hangs, and keeps every request it was sent (attempts counted by the receiver)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Mode = Literal["ok", "fail", "hang"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    mode: Mode
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    seen: threading.Event = field(default_factory=threading.Event)  # set at the first request

    @property
    def attempts(self) -> int:
        return len(self.requests)


@contextmanager
def receiver(mode: Mode = "ok") -> Iterator[Receiver]:
    """A receiver at http://127.0.0.1:PORT/hook/SECRET-PATH (the path stands in for a
    webhook URL's secret part), serving until the block ends."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            me = box[0]
            me.requests.append(Received(self.path, dict(self.headers.items()), body))
            me.seen.set()
            if me.mode == "hang":
                me.release.wait(30)  # until the client gives up (or the test ends)
                return
            self.send_response(500 if me.mode == "fail" else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    box.append(Receiver(f"http://127.0.0.1:{port}/hook/T0KEN-path-s3cr3t", mode))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        box[0].release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
