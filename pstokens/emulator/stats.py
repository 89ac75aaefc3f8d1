"""Request counts, so tests and benchmarks can see what a client really sent.

Counted by method, route template and status, plus how many answers were
rate limited, failed on purpose or dropped. Admin paths are not counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/_emulator/"
# Set in the scope by the fault layer when it drops a response: the status the
# client would have seen, since what it got on the wire was a broken one.
DROPPED_STATUS_KEY = "pstokens.emulator.dropped_status"
UNMATCHED = "<unmatched>"


class Stats:
    """Thread-safe counters; `snapshot()` is what `GET /_emulator/stats` answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str, int]] = Counter()
        self._events: Counter[str] = Counter()

    def record(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self._requests[(method, route, status)] += 1

    def note(self, event: str) -> None:
        """Count a fault: `rate_limited`, `failed` or `lost`."""
        with self._lock:
            self._events[event] += 1

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._events.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_status: Counter[str] = Counter()
            by_route: dict[str, Counter[str]] = {}
            for (method, route, status), count in sorted(self._requests.items()):
                by_status[str(status)] += count
                by_route.setdefault(f"{method} {route}", Counter())[str(status)] += count
            return {
                "total": sum(self._requests.values()),
                "by_status": dict(by_status),
                "by_route": {key: dict(counts) for key, counts in by_route.items()},
                "rate_limited": self._events["rate_limited"],
                "failed": self._events["failed"],
                "lost": self._events["lost"],
            }


class StatsMiddleware:
    """Outermost layer, so it also counts what the fault and auth layers answer."""

    def __init__(self, app: ASGIApp, stats: Stats, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.stats = stats
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        route = self._template(scope)
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            status = scope.get(DROPPED_STATUS_KEY, status)
            self.stats.record(scope["method"], route, status)

    def _template(self, scope: Scope) -> str:
        # A path served under another method still names its template.
        fallback = UNMATCHED
        for route in self.routes:
            if isinstance(route, Route):
                match, _ = route.matches(scope)
                if match is Match.FULL:
                    return route.path
                if match is Match.PARTIAL and fallback == UNMATCHED:
                    fallback = route.path
        return fallback
