"""Rotation with overlap, and expiry seen coming: pure rules over plain data.

A replaced token either goes in the apply that replaced it, or, with
`overlap`, keeps working until `retire_at` (its successor's delivery plus the
overlap): until then plans show it as retiring, after it they delete it. A
token that expires soon with nothing planned to replace it is a warning.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for types only: `validate` reaches this module without the state stores
    from pstokens.state.model import TokenRecord

# Plans warn about a managed token expiring this soon with nothing replacing it.
EXPIRY_WARNING = timedelta(days=14)


@dataclass(frozen=True)
class Retiring:
    """A replaced token kept working by `overlap` until `retire_at`; None: its
    successor's secret is not delivered yet, and the overlap starts when it is."""

    key: str
    token_id: str
    retire_at: datetime | None
    overlap_seconds: int = 0  # how long it is kept once its successor is delivered

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "token_id": self.token_id,
                "retire_at": None if self.retire_at is None else self.retire_at.isoformat(),
                "overlap_seconds": self.overlap_seconds}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Retiring:
        moment = data.get("retire_at")
        return cls(str(data["key"]), str(data["token_id"]),
                   None if moment is None else datetime.fromisoformat(str(moment)),
                   int(data.get("overlap_seconds") or 0))


@dataclass(frozen=True)
class RetireDecision:
    now: tuple[str, ...] = ()  # retiring without overlap (a replacement not finished)
    ended: tuple[str, ...] = ()  # overlap over, or its key left the config
    waiting: tuple[Retiring, ...] = ()  # still inside their overlap


def decide_retiring(
    key: str, record: TokenRecord, live: Container[str], now: datetime, *,
    overlap: int | None, replacing: bool,
) -> RetireDecision:
    """What to do with each live retiring token of `key`; gone ones need nothing.

    `overlap` is the key's (None once the key left the config: everything of
    it goes); `replacing` says the plan makes the key a new token, whose
    delivery starts the overlap of retiring tokens that have no time yet.
    """
    at_once: list[str] = []
    ended: list[str] = []
    waiting: list[Retiring] = []
    for token_id in record.retiring:
        if token_id not in live:
            continue
        until = record.retire_at.get(token_id)
        if until is None and overlap and replacing:
            waiting.append(Retiring(key, token_id, None, overlap))
        elif until is None:
            at_once.append(token_id)
        elif overlap and now < until:
            waiting.append(Retiring(key, token_id, until, overlap))
        else:
            ended.append(token_id)
    return RetireDecision(tuple(at_once), tuple(ended), tuple(waiting))


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


def expires_soon(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and now < expires_at <= now + EXPIRY_WARNING
