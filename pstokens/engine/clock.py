"""The engine's one clock: plans and applies ask it the time, tests can move it.

Rotation with overlap is about time passing; the rotation drill moves this
clock past an overlap instead of waiting for it.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
