"""Counters of what a client sent and met, for `--debug` output and benchmarks.

Read-only for callers; the session updates them as requests go out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ClientStats:
    """Totals over the life of one client."""

    requests: int = 0  # every request sent, retries included
    responses: Counter[int] = field(default_factory=Counter)  # by status code
    retries: int = 0
    rate_limited: int = 0  # 429 answers seen
    transport_errors: int = 0  # requests that got no HTTP answer
    paced_seconds: float = 0.0  # time spent waiting for the pacer
    backoff_seconds: float = 0.0  # time spent waiting between attempts
