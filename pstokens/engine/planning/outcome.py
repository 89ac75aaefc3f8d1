"""What apply did, change by change, as typed values for every view.

The applier reports each change's outcome as it happens (a line on a
terminal, a progress bar) and returns them all (`apply --format json`). An
outcome holds IDs and the error's words, never a secret. An apply stopped by
Ctrl-C raises `ApplyInterrupted`, whose `Interruption` says which new tokens
exist and which destinations hold them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pstokens.engine.planning.plan import Action, Cause, Change, tally
from pstokens.errors import PstokensError
from pstokens.state.model import State


class Status(StrEnum):
    DONE = "done"  # for a new token: granted, verified, delivered everywhere
    FAILED = "failed"
    UNVERIFIED = "unverified"  # a new token that failed its verification call
    UNDELIVERED = "undelivered"  # a new token whose secret reached no destination
    PARTLY_DELIVERED = "partly_delivered"  # a new token some destinations hold, not all
    SKIPPED = "skipped"  # not attempted: `blocked` says why


class Blocked(StrEnum):
    NOT_CREATED = "not_created"  # a grant whose token could not be created
    UNDELIVERED = "undelivered"  # a grant whose token's secret was not delivered
    NOT_READY = "not_ready"  # an old token kept: its replacement is not ready
    OVERLAP = "overlap"  # an old token kept working: `overlap` retires it later
    UNTIL_UNUSED = "until_unused"  # an old token kept until PlanetScale sees it unused
    INTERRUPTED = "interrupted"  # a token created, its delivery stopped by Ctrl-C
    GRANT_FAILED = "grant_failed"  # a new token not delivered: one of its grants failed


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: Status
    token_id: str | None = None  # the token acted on; for a create or replace, the new one
    error: str | None = None
    blocked: Blocked | None = None
    delivered_to: tuple[str, ...] = ()  # destinations that hold the new token
    # A new token that was never delivered: True once this apply deleted it again.
    rolled_back: bool = False
    # A partly delivered token: the destinations it did not reach, which still hold
    # the token it replaces (if any).
    kept_at: tuple[str, ...] = ()
    # A partly delivered token: the destinations it did not reach that hold nothing
    # pstokens made (they never took the token it replaces either).
    missed: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """An error of its own (a skip is the consequence of another's)."""
        return self.status in (Status.FAILED, Status.UNVERIFIED, Status.UNDELIVERED,
                               Status.PARTLY_DELIVERED)

    def to_json(self) -> dict[str, Any]:
        change = self.change
        data: dict[str, Any] = {
            "action": str(change.action),
            "key": change.key,
            "status": str(self.status),
            "token_id": self.token_id,
            "database": change.database,
            "accesses": list(change.accesses),
            "cause": None if change.cause is None else str(change.cause),
            "error": self.error,
        }
        if change.action is Action.REPLACE:
            data["replaced_token_id"] = change.token_id
        if self.blocked is not None:
            data["blocked"] = str(self.blocked)
        if self.delivered_to:
            data["delivered_to"] = list(self.delivered_to)
        if self.kept_at:
            data["kept_at"] = list(self.kept_at)
        if self.missed:
            data["missed"] = list(self.missed)
        if self.change.makes_token and self.status is not Status.DONE:
            data["rolled_back"] = self.rolled_back
        return data


def is_step(outcome: Outcome) -> bool:
    """Whether `outcome` is one of the plan's changes: the old half of a replacement,
    deleted by the same apply, is part of its replace (one step, counted once)."""
    change = outcome.change
    return not (change.action is Action.DELETE and change.cause is Cause.REPLACED)


class Reporter(Protocol):
    def report(self, outcome: Outcome) -> None: ...


class SilentReporter:
    """Tells no one: for callers that read the result at the end."""

    def report(self, outcome: Outcome) -> None:
        return None


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    state: State | None = None  # the state as apply left it

    @property
    def done(self) -> dict[str, int]:
        """Tokens created, replaced, deleted; accesses granted, revoked; state updates.
        A new token this apply deleted again is not counted."""
        return tally(o.change for o in self.outcomes
                     if is_step(o) and (o.status is Status.DONE or _kept(o)))

    @property
    def undelivered(self) -> dict[str, int]:
        """Of the tokens created and replaced and kept, how many do not hold every
        destination (partly delivered, or left when their delete failed)."""
        count = {"create": 0, "replace": 0}
        for item in self.outcomes:
            if _kept(item) and str(item.change.action) in count:
                count[str(item.change.action)] += 1
        return count

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]


def _kept(outcome: Outcome) -> bool:
    """A new token that exists after apply without being delivered everywhere."""
    return outcome.status is Status.PARTLY_DELIVERED or (
        outcome.status in (Status.UNVERIFIED, Status.UNDELIVERED) and not outcome.rolled_back)


@dataclass(frozen=True)
class Made:
    """A new token as an interrupted apply left it."""

    key: str
    token_id: str | None  # None: its create was under way (state holds its intent)
    verified: bool = False
    reached: tuple[str, ...] = ()  # destinations that hold it
    replaces: str | None = None  # the token it was to replace: kept

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "token_id": self.token_id, "verified": self.verified,
                "delivered_to": list(self.reached), "replaces": self.replaces}


@dataclass(frozen=True)
class Interruption:
    """What an apply stopped by Ctrl-C had made: its new tokens, how far each got."""

    made: tuple[Made, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"made": [m.to_json() for m in self.made]}


class ApplyInterrupted(PstokensError):
    """Ctrl-C (or a cancelled task) stopped apply; `report` says what exists."""

    exit_code = 130

    def __init__(self, report: Interruption, result: ApplyResult) -> None:
        super().__init__("apply was interrupted",
                         hint="state records what was done; run `pstokens plan` to see the rest")
        self.report = report
        self.result = result
