"""What apply did, change by change, as typed values for every view.

The applier reports each change's outcome as it happens (a line on a
terminal, a progress bar) and returns them all (`apply --format json`). An
outcome holds IDs and the error's words, never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pstokens.engine.plan import Action, Cause, Change, tally
from pstokens.state.model import State


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    UNDELIVERED = "undelivered"  # the token was created, its secret not delivered
    SKIPPED = "skipped"  # not attempted: `blocked` says why


class Blocked(StrEnum):
    NOT_CREATED = "not_created"  # a grant whose token could not be created
    UNDELIVERED = "undelivered"  # a grant whose token's secret was not delivered
    NOT_READY = "not_ready"  # an old token kept: its replacement is not ready
    OVERLAP = "overlap"  # an old token kept working: `overlap` retires it later
    UNTIL_UNUSED = "until_unused"  # an old token kept until PlanetScale sees it unused
    INTERRUPTED = "interrupted"  # a token created, its delivery stopped by Ctrl-C


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: Status
    token_id: str | None = None  # the token acted on; for a create or replace, the new one
    error: str | None = None
    blocked: Blocked | None = None
    delivered_to: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """An error of its own (a skip is the consequence of another's)."""
        return self.status in (Status.FAILED, Status.UNDELIVERED)

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
        """Tokens created, replaced, deleted; accesses granted, revoked; state updates."""
        return tally(o.change for o in self.outcomes
                     if o.status in (Status.DONE, Status.UNDELIVERED) and is_step(o))

    @property
    def undelivered(self) -> dict[str, int]:
        """Of the tokens created and replaced, how many got no secret delivered."""
        count = {"create": 0, "replace": 0}
        for item in self.outcomes:
            if item.status is Status.UNDELIVERED and str(item.change.action) in count:
                count[str(item.change.action)] += 1
        return count

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]
