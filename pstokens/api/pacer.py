"""Spaces request starts so a client never exceeds its rate limit.

PlanetScale allows 600 requests a minute and answers 429 past that; pacing
under the limit is cheaper than meeting it and backing off. One pacer is
shared by every concurrent call (and every retry) of a client.
"""

from __future__ import annotations

import math

from pstokens.api.clock import Clock


class Pacer:
    """A leaky bucket with no burst: starts are at least `interval` seconds apart.

    Each caller reserves the next free slot (GCRA's theoretical arrival time)
    and sleeps until it. With starts `60/rate` apart, any 60-second window
    holds at most `rate` of them. `margin` stretches the interval a little so
    that network jitter between client and server cannot squeeze `rate + 1`
    arrivals into the server's window. `pause` holds every caller back after
    a 429; a caller whose reserved slot falls inside a new pause queues again.
    """

    def __init__(self, rate_per_minute: int, clock: Clock, *, margin: float = 0.01) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive (use no pacer to turn pacing off)")
        if margin < 0:
            raise ValueError("margin must not be negative")
        self.interval = 60.0 / rate_per_minute * (1.0 + margin)
        self._clock = clock
        self._next_start = -math.inf
        self._paused_until = -math.inf

    async def acquire(self) -> float:
        """Wait for this caller's slot; return the seconds waited."""
        began = self._clock.monotonic()
        while True:
            now = self._clock.monotonic()
            start = max(now, self._next_start, self._paused_until)
            self._next_start = start + self.interval
            if start > now:
                await self._clock.sleep(start - now)
            if self._paused_until <= start:
                return self._clock.monotonic() - began

    def pause(self, seconds: float) -> None:
        """Start nobody for `seconds` from now (the server said slow down)."""
        until = self._clock.monotonic() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)
