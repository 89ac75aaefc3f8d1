"""What was read from the organization, as plain data for the planner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pstokens.config.model import AccessMap

# How far the API's clock may be from ours: a lost create is matched to a live
# token of its name created no earlier than this before its intent was recorded.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class LiveToken:
    id: str
    name: str | None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    accesses: AccessMap | None = None  # None: not read (not needed for this plan)
    last_used_at: datetime | None = None  # None: never used (or the API did not say)


def access_map(pairs: Iterable[tuple[str | None, str]]) -> dict[str | None, frozenset[str]]:
    """Group (database, access) pairs into an AccessMap; None is the organization."""
    grouped: dict[str | None, set[str]] = {}
    for database, access in pairs:
        grouped.setdefault(database, set()).add(access)
    return {db: frozenset(names) for db, names in grouped.items()}
