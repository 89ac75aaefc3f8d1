"""Spaces request starts so a client never exceeds its rate limit.

PlanetScale allows 600 requests a minute and answers 429 past that; pacing
under the limit is cheaper than meeting it and backing off. One pacer is
shared by every concurrent call (and every retry) of a client.
"""

from __future__ import annotations

import math

from pstokens.clock import Clock


class Pacer:
    """GCRA: up to `burst` starts at once, then starts `interval` seconds apart.

    Each caller reserves the next free slot (the theoretical arrival time,
    less the burst's tolerance) and sleeps until it. The interval spreads the
    rest of a minute's budget, `rate - burst`, evenly over the minute, so any
    60-second window holds at most `rate` starts, bursts included: a plan's
    ten list pages go out together, and a long apply still never meets a 429.
    `margin` stretches the interval a little so that network jitter between
    client and server cannot squeeze `rate + 1` arrivals into the server's
    window. `pause` holds every caller back after a 429; a caller whose
    reserved slot falls inside a new pause queues again.
    """

    def __init__(
        self, rate_per_minute: int, clock: Clock, *, burst: int = 1, margin: float = 0.01
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive (use no pacer to turn pacing off)")
        if not 1 <= burst <= rate_per_minute:
            raise ValueError("burst must be between 1 and the rate")
        if margin < 0:
            raise ValueError("margin must not be negative")
        self.interval = 60.0 / (rate_per_minute - burst + 1) * (1.0 + margin)
        self._tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._arrival = -math.inf  # when the next start would fall with no burst left
        self._paused_until = -math.inf

    async def acquire(self) -> float:
        """Wait for this caller's slot; return the seconds waited."""
        began = self._clock.monotonic()
        while True:
            now = self._clock.monotonic()
            start = max(now, self._arrival - self._tolerance, self._paused_until)
            self._arrival = max(self._arrival, start) + self.interval
            if start > now:
                await self._clock.sleep(start - now)
            if self._paused_until <= start:
                return self._clock.monotonic() - began

    def pause(self, seconds: float) -> None:
        """Start nobody for `seconds` from now (the server said slow down)."""
        until = self._clock.monotonic() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)


def burst_for(rate_per_minute: int, parallelism: int) -> int:
    """As many starts at once as there are slots, and never more than a tenth of the limit."""
    return max(1, min(parallelism, rate_per_minute // 10))
