"""Latency, rate limiting, injected failures and dropped responses.

These are what make the emulator worth testing a client against: a client
must pace itself, retry 500s, and recover a write whose answer never came.
Every random choice comes from one generator seeded by `settings.seed`.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import deque
from collections.abc import Callable

import httpx
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.shapes import error_json
from pstokens.emulator.stats import DROPPED_STATUS_KEY, Stats

WINDOW_SECONDS = 60.0
WRITE_METHODS = frozenset({"POST", "DELETE", "PATCH", "PUT"})


class ResponseDropped(httpx.RemoteProtocolError):
    """The write was performed but its answer is dropped (`lose_rate`).

    Over a real server the connection is cut mid-response, and the client
    sees httpx's own RemoteProtocolError. In process, httpx.ASGITransport
    re-raises this exception itself, so it too is an httpx.TransportError.
    """


def is_api_path(scope: Scope) -> bool:
    path: str = scope["path"]
    return path == "/v1" or path.startswith("/v1/")


def caller_key(scope: Scope) -> str:
    """Who is calling, as a hash of the Authorization header: never kept in plaintext."""
    header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
    return hashlib.sha256(header).hexdigest()


class SlidingWindow:
    """At most `limit` accepted requests per caller in any `window` seconds.

    A log of timestamps rather than a token bucket: a client pacing at
    exactly `limit` a minute is never refused, one request more is.
    Refused requests are not logged, so a caller recovers once it slows down.
    """

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}

    def allow(self, caller: str) -> bool:
        if self.limit <= 0:
            return True
        now = self._clock()
        stamps = self._calls.setdefault(caller, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return False
        stamps.append(now)
        return True


class Faults:
    """The seeded decisions: whether this request fails, and whether it is lost."""

    def __init__(
        self, settings: EmulatorSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.latency = settings.latency_ms / 1000.0
        self.fail_rate = settings.fail_rate
        self.lose_rate = settings.lose_rate
        # Not for secrets: faults must repeat run after run under one seed.
        self.rng = random.Random(settings.seed)  # noqa: S311
        self.limiter = SlidingWindow(settings.rate_limit, clock=clock)

    def should_fail(self) -> bool:
        return self.fail_rate > 0 and self.rng.random() < self.fail_rate

    def should_lose(self, method: str) -> bool:
        return method in WRITE_METHODS and self.lose_rate > 0 and self.rng.random() < self.lose_rate


class FaultMiddleware:
    """Applies the faults to `/v1` requests, in this order: latency, rate limit,
    failure, then (for writes) the dropped response."""

    def __init__(self, app: ASGIApp, faults: Faults, stats: Stats) -> None:
        self.app = app
        self.faults = faults
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope):
            await self.app(scope, receive, send)
            return
        faults = self.faults
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        if not faults.limiter.allow(caller_key(scope)):
            self.stats.note("rate_limited")
            # No Retry-After: the real API documents none, and clients must cope.
            message = f"Rate limit of {faults.limiter.limit} requests per minute exceeded"
            response = JSONResponse(error_json("rate_limited", message), status_code=429)
            await response(scope, receive, send)
            return
        if faults.should_fail():
            self.stats.note("failed")
            body = error_json("internal_error", "Internal Server Error")
            await JSONResponse(body, status_code=500)(scope, receive, send)
            return
        if faults.should_lose(scope["method"]):
            await self._perform_then_drop(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _perform_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        status: int = start["status"]
        if status >= 400:
            # Nothing was written, so there is nothing to lose: answer as usual.
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body)})
            return
        self.stats.note("lost")
        scope[DROPPED_STATUS_KEY] = status
        # Announce a body that never comes; a 204 cannot announce one, so it
        # is sent as 200. The server then closes the connection mid-response.
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(max(len(body), 1)).encode()))
        await send(
            {
                "type": "http.response.start",
                "status": 200 if status in (204, 304) else status,
                "headers": headers,
            }
        )
        raise ResponseDropped("the emulator performed this write and dropped its response")
