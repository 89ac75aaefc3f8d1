"""pstokens' one clock: what time it is, and the clock the API client waits on.

Plans, applies and reports ask `now()` the time; the rotation drill moves it
past an overlap instead of waiting for it. The pacer and the retry backoff
wait on a `Clock`, injected so that tests run hours of virtual backoff and
pacing instantly and can assert exactly when each request started.
Imports nothing of pstokens: every layer may use it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


def now() -> datetime:
    """The wall-clock time, in UTC."""
    return datetime.now(UTC)


def stamp() -> str:
    """`now()` to the second, as locks record it (2026-01-14T10:19:23Z)."""
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for spacing and delays)."""
        ...

    def time(self) -> float:
        """Wall-clock seconds since the epoch (for `Retry-After` dates)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
