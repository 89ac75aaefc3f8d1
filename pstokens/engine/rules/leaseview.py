"""A lease as a plan shows it, and how a lease's name is recognised.

Kept apart from `leaseplan.py` so the plan value (`plan.py`) can carry leases
without importing the planning rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LEASE_MARK = "+lease-"
_LEASE_NAME = re.compile(r"(?P<key>.+)\+lease-[a-z0-9]{8}")


def lease_key(name: str | None) -> str | None:
    """The key a lease's name was made for, or None when `name` is not a lease's."""
    match = _LEASE_NAME.fullmatch(name or "")
    return match.group("key") if match else None


@dataclass(frozen=True)
class LeaseView:
    """One lease as found: in state, live, or both.

    `token_id` is None for an intent whose token was never found live;
    `recorded` says whether this state knows the lease.
    """

    name: str
    key: str
    token_id: str | None
    expires_at: datetime | None
    live: bool
    recorded: bool

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "token_id": self.token_id,
                "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
                "recorded": self.recorded}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeaseView:
        expires = data.get("expires_at")
        return cls(name=str(data["name"]), key=str(data["key"]), token_id=data.get("token_id"),
                   expires_at=None if expires is None else datetime.fromisoformat(expires),
                   live=True, recorded=bool(data.get("recorded", True)))
