"""The time source the pacer and the retry backoff wait on.

Injected so that tests run hours of virtual backoff and pacing instantly and
can assert exactly when each request started.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


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
