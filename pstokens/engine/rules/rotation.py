"""When a replaced token may go, and expiry seen coming: pure rules over plain data.

A replaced token either goes in the apply that replaced it, or, with
`overlap`, keeps working until `retire_at` (its successor's delivery plus the
overlap): until then plans show it as retiring, after it they delete it. With
`retire_when_unused` it goes only once PlanetScale has not seen it used for
that long as well (its `last_used_at`, or its successor's delivery when it was
never used); one still in use 7 days after its successor was delivered is a
stuck rotation, deleted only by `apply --force`. A token that expires soon with
nothing planned to replace it is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pstokens.engine.rules.findings import PlanWarning, WarningKind

if TYPE_CHECKING:  # for types only: `validate` reaches this module without the state stores
    from pstokens.engine.rules.live import LiveToken
    from pstokens.state.model import TokenRecord

# Plans warn about a managed token expiring this soon with nothing replacing it.
EXPIRY_WARNING = timedelta(days=14)
# A retiring token still in use this long after its successor was delivered is stuck.
STUCK_AFTER = timedelta(days=7)


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


@dataclass(frozen=True)
class RetireDecision:
    now: tuple[str, ...] = ()  # retiring without overlap (a replacement not finished)
    ended: tuple[str, ...] = ()  # overlap over, or its key left the config
    unused: tuple[str, ...] = ()  # retire_when_unused: not seen used for that long
    waiting: tuple[Retiring, ...] = ()  # kept for now: `wait` says why


def decide_retiring(
    key: str, record: TokenRecord, live: Mapping[str, LiveToken], now: datetime, *,
    overlap: int | None, replacing: bool, retire_when_unused: int | None = None,
) -> RetireDecision:
    """What to do with each live retiring token of `key`; gone ones need nothing.

    `overlap` and `retire_when_unused` are the key's (both None once the key
    left the config: everything of it goes); `replacing` says the plan makes
    the key a new token, whose delivery starts the wait of retiring tokens that
    have no time yet.
    """
    quiet = retire_when_unused
    at_once: list[str] = []
    ended: list[str] = []
    unused: list[str] = []
    waiting: list[Retiring] = []
    for token_id in record.retiring:
        token = live.get(token_id)
        if token is None:
            continue
        until = record.retire_at.get(token_id)
        since = record.successor_delivered_at.get(token_id)
        wait: RetireWait | None = None
        if until is None and since is None and (overlap or quiet) and replacing:
            wait = RetireWait.DELIVERY
        elif quiet and since is None and not record.delivered:
            wait = RetireWait.DELIVERY  # never judged on its use before its successor is out
        elif until is not None and overlap and now < until:
            wait = RetireWait.OVERLAP
        elif quiet and not unused_for(token.last_used_at, since, now, quiet):
            wait = RetireWait.STUCK if stuck(since, now) else RetireWait.UNUSED
        elif quiet:
            unused.append(token_id)
        elif until is None:
            at_once.append(token_id)
        else:
            ended.append(token_id)
        if wait is not None:
            used = token.last_used_at
            idle = None if used is None else max(0, int((now - used).total_seconds()))
            waiting.append(Retiring(key, token_id, until, overlap or 0, wait, quiet, used,
                                    idle, since))
    return RetireDecision(tuple(at_once), tuple(ended), tuple(unused), tuple(waiting))


def unused_for(
    last_used_at: datetime | None, successor_delivered_at: datetime | None, now: datetime,
    seconds: int,
) -> bool:
    """Whether PlanetScale has not seen a token used for `seconds`: its last use is
    more than that ago, or it was never used and its successor was delivered more
    than that ago (a successor delivered at an unknown time, by a pstokens that did
    not record it, counts as long ago)."""
    quiet = timedelta(seconds=seconds)
    if last_used_at is not None:
        return now - last_used_at > quiet
    return successor_delivered_at is None or now - successor_delivered_at > quiet


def stuck(successor_delivered_at: datetime | None, now: datetime) -> bool:
    """Still in use this long after its successor was delivered: the rotation is stuck."""
    return successor_delivered_at is not None and now - successor_delivered_at >= STUCK_AFTER


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
