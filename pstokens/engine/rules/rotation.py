"""A replaced token while it retires, the times apply records for it, and expiry seen coming.

A replaced token either goes in the apply that replaced it, or, with
`overlap`, keeps working until `retire_at` (its successor's delivery plus the
overlap): until then plans show it as `Retiring`, after it they delete it.
With `retire_when_unused` it goes only once PlanetScale has not seen it used
for that long as well; one still in use 7 days after its successor was
delivered is a stuck rotation. The planner decides which way each goes
(`engine/planning/converge.py`); the applier records `retire_at` and
`successor_delivered_at` when the successor is delivered. A token that expires
soon with nothing planned to replace it is a warning. Pure rules over plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pstokens.engine.rules.findings import PlanWarning, WarningKind

if TYPE_CHECKING:  # for types only: `validate` reaches this module without the state stores
    from pstokens.state.model import TokenRecord

# Plans warn about a managed token expiring this soon with nothing replacing it.
EXPIRY_WARNING = timedelta(days=14)


class RetireWait(StrEnum):
    """What a retiring token is waiting for; `pstokens.render.words` says it."""

    DELIVERY = "delivery"  # its successor's secret is not delivered yet
    OVERLAP = "overlap"  # its overlap has not ended (`retire_at`)
    UNUSED = "unused"  # retire_when_unused: PlanetScale saw it used, or its successor is new
    STUCK = "stuck"  # still in use 7 days after its successor was delivered: --force only


@dataclass(frozen=True)
class Retiring:
    """A replaced token kept working until it may be deleted, and why it is kept.

    `retire_at` is its overlap's end; None: its successor's secret is not
    delivered yet, and the overlap starts when it is. With `retire_when_unused`
    (seconds), `last_used_at` is what PlanetScale said and `idle_seconds` how
    long before the plan that was (None: never used).
    """

    key: str
    token_id: str
    retire_at: datetime | None
    overlap_seconds: int = 0  # how long it is kept once its successor is delivered
    wait: RetireWait = RetireWait.OVERLAP
    retire_when_unused: int | None = None
    last_used_at: datetime | None = None
    idle_seconds: int | None = None
    successor_delivered_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "token_id": self.token_id,
                "retire_at": _iso(self.retire_at), "overlap_seconds": self.overlap_seconds,
                "wait": str(self.wait), "retire_when_unused_seconds": self.retire_when_unused,
                "last_used_at": _iso(self.last_used_at), "idle_seconds": self.idle_seconds,
                "successor_delivered_at": _iso(self.successor_delivered_at)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Retiring:
        unused, idle = data.get("retire_when_unused_seconds"), data.get("idle_seconds")
        return cls(str(data["key"]), str(data["token_id"]), _moment(data.get("retire_at")),
                   int(data.get("overlap_seconds") or 0),
                   RetireWait(data.get("wait") or RetireWait.OVERLAP),
                   None if unused is None else int(unused),
                   _moment(data.get("last_used_at")),
                   None if idle is None else int(idle),
                   _moment(data.get("successor_delivered_at")))


def stuck_warnings(retiring: Iterable[Retiring]) -> tuple[PlanWarning, ...]:
    """`rotation_stuck` for each retiring token still in use 7 days after its
    successor was delivered."""
    return tuple(PlanWarning(WarningKind.ROTATION_STUCK, r.key, (r.token_id,))
                 for r in sorted(retiring, key=lambda r: (r.key, r.token_id))
                 if r.wait is RetireWait.STUCK)


def retire_times(
    record: TokenRecord, replaced: Iterable[str], delivered_at: datetime, overlap: int | None
) -> dict[str, datetime]:
    """`retire_at` once a key's new secret is delivered: the replaced tokens
    retire `overlap` after it; those already retiring keep their time."""
    olds = set(replaced)
    times = dict(record.retire_at)
    if overlap:
        for token_id in sorted(olds):
            times.setdefault(token_id, delivered_at + timedelta(seconds=overlap))
    return {i: t for i, t in times.items() if i in record.retiring or i in olds}


def successor_times(record: TokenRecord, delivered_at: datetime) -> dict[str, datetime]:
    """`successor_delivered_at` once a key's new secret is delivered: every retiring
    token without a time gets this one; those replaced earlier keep theirs."""
    times = {i: t for i, t in record.successor_delivered_at.items() if i in record.retiring}
    for token_id in record.retiring:
        times.setdefault(token_id, delivered_at)
    return times


def expires_soon(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and now < expires_at <= now + EXPIRY_WARNING


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
