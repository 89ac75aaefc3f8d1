"""Which failures are worth another attempt, and how long to wait before it.

Kept free of httpx so the table can be read (and tested) as plain data: the
session classifies a transport exception into a `Fault` first. A create is
not idempotent, so it is resent only when the server provably never saw it.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Literal

Jitter = Literal["full", "decorrelated", "none"]

# 5xx answers that say the request was refused as a whole (not implemented,
# HTTP version, a proxy's login): nothing happened, even for a create.
NEVER_PERFORMED = frozenset({501, 505, 511})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class Fault(enum.Enum):
    """What a transport failure says about whether the request reached the server."""

    NOT_SENT = "not sent"  # no connection was made: resending is always safe
    LOST = "lost"  # sent (perhaps in part) and the answer was lost: it may have happened
    FATAL = "fatal"  # cannot be sent at all (bad URL, bad header): resending cannot help


class Verdict(enum.Enum):
    RETRY = "retry"  # try again after a delay, while attempts remain
    FAIL = "fail"  # raise the mapped error now
    UNKNOWN = "unknown"  # a non-idempotent write that may have happened: OutcomeUnknown


def classify(*, status: int | None = None, fault: Fault | None = None, idempotent: bool) -> Verdict:
    """The retry table, for one failed attempt (a non-2xx status or a transport fault).

    | failure                     | idempotent | create (POST .../service-tokens) |
    |-----------------------------|------------|----------------------------------|
    | 429                         | RETRY      | RETRY (rejected, never performed) |
    | 500, 502, 503, 504          | RETRY      | UNKNOWN                          |
    | 501, 505, 511 (refusals)    | FAIL       | FAIL (not performed)             |
    | other 5xx                   | FAIL       | UNKNOWN                          |
    | 400, 401, 403, 404, 422 ... | FAIL       | FAIL                             |
    | connect error or timeout,   | RETRY      | RETRY                            |
    | pool timeout (NOT_SENT)     |            |                                  |
    | read/write error, timeout,  | RETRY      | UNKNOWN                          |
    | protocol error (LOST)       |            |                                  |
    | bad URL, bad header (FATAL) | FAIL       | FAIL                             |
    """
    if fault is not None:
        if fault is Fault.NOT_SENT:
            return Verdict.RETRY
        if fault is Fault.LOST:
            return Verdict.RETRY if idempotent else Verdict.UNKNOWN
        return Verdict.FAIL
    if status is None:
        raise ValueError("classify needs a status or a fault")
    if status == 429:
        return Verdict.RETRY
    if status >= 500:
        if status in NEVER_PERFORMED:
            return Verdict.FAIL
        if not idempotent:
            return Verdict.UNKNOWN
        return Verdict.RETRY if status in RETRYABLE_STATUSES else Verdict.FAIL
    return Verdict.FAIL


def retryable(status: int) -> bool:
    """Whether an idempotent request answered `status` is sent again: the error
    type for the status follows this (transient when it is, permanent when not)."""
    return classify(status=status, idempotent=True) is Verdict.RETRY


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; `Retry-After` from the server wins when present.

    Attempt n (1-based) that fails waits up to `base_delay * 2**(n-1)`, capped at
    `max_delay`: "full" jitter draws uniformly below that, "decorrelated" draws
    between `base_delay` and three times the previous delay, "none" waits it
    exactly. Pass a seeded `rng` for reproducible delays.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: Jitter = "full"
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def delay(
        self, attempt: int, *, previous: float | None = None, retry_after: float | None = None
    ) -> float:
        """Seconds to wait after failed attempt number `attempt`."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 64))
        if self.jitter == "none":
            return ceiling
        if self.jitter == "full":
            return self.rng.uniform(0.0, ceiling)
        last = self.base_delay if previous is None else previous
        return min(
            self.max_delay, self.rng.uniform(self.base_delay, max(self.base_delay, last * 3))
        )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), or None.

    `now` is wall-clock epoch seconds, used to turn a date into a delay.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT even when it says "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
