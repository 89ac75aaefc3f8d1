"""One step of a plan: a small frozen value with its order built in.

State-only updates and creates (and the new half of a replace) come before
grant before revoke before delete. Every change carries a typed `cause`; no
code branches on wording, which `pstokens.render` owns. `plan.py` holds the
plan these make up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pstokens.destinations import CommandDestination, Destination, DirDestination
from pstokens.engine.rules.plancheck import checked_change, one_of
from pstokens.engine.rules.verifyplan import Verification


class Action(StrEnum):
    CREATE = "create"
    REPLACE = "replace"
    GRANT = "grant"
    REVOKE = "revoke"
    DELETE = "delete"
    UPDATE_STATE = "update_state"  # state only: no API call


class Cause(StrEnum):
    """Why a change is planned. `pstokens.render.words` says it in English."""

    # Why a token is created, or replaced (create a new one, then delete the old).
    NEW = "new"
    INCOMPLETE_CREATE = "incomplete_create"  # an earlier create left nothing behind
    LOST_CREATE = "lost_create"  # an earlier create's answer was lost: adopt, then replace
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    TTL_CHANGED = "ttl_changed"
    ROTATE_AFTER = "rotate_after"
    FORCED = "forced"  # --replace
    DELETED_OUTSIDE = "deleted_outside"
    UNVERIFIED = "unverified"  # apply could not call the API with its credentials
    PARTLY_DELIVERED = "partly_delivered"  # some of its destinations hold it, not all
    # PlanetScale's audit log reports its secret found in public (`service_token.token_leaked`):
    # replaced at once, the old token deleted once its successor is delivered, whatever
    # `overlap` says; also why a leaked retiring token or lease is deleted.
    LEAKED = "leaked"
    # Why a token is deleted.
    REMOVED = "removed"  # its key left the configuration
    ALREADY_GONE = "already_gone"  # removed, and already gone: only state changes
    RETIRING_GONE = "retiring_gone"  # a retiring token deleted outside pstokens: state only
    REPLACED = "replaced"  # the old half of a replacement, deleted by the same apply
    RETIRED = "retired"  # the old half of an earlier replacement, still live
    OVERLAP_ENDED = "overlap_ended"  # a replaced token kept by `overlap`, now past it
    NOT_USED = "not_used"  # a replaced token kept by `retire_when_unused`, no longer used
    ROTATION_STUCK = "rotation_stuck"  # a replaced token still in use after 7 days: --force
    LOST_CREATE_LEFTOVER = "lost_create_leftover"  # made by a lost create of a removed key
    DUPLICATE = "duplicate"  # a second token left by a lost create
    UNMANAGED = "unmanaged"  # unmanaged.policy is delete
    LEASE_EXPIRED = "lease_expired"  # an `exec` lease past its ttl (planning/leaseplan)
    # State-only updates.
    PROTECT = "prevent_destroy_set"
    UNPROTECT = "prevent_destroy_cleared"


COUNTED = ("create", "replace", "delete", "grant", "revoke", "update_state")


def tally(changes: Iterable[Change]) -> dict[str, int]:
    """Tokens created, replaced, deleted; accesses granted, revoked; state-only
    changes: what a plan's last line and an apply's summary count."""
    count = dict.fromkeys(COUNTED, 0)
    for change in changes:
        if change.action in (Action.GRANT, Action.REVOKE):
            count[str(change.action)] += len(change.accesses)
        elif change.action is Action.DELETE and not change.deletes_live_token:
            count["update_state"] += 1  # already gone (or never created): state only
        else:
            count[str(change.action)] += 1
    return count


_PHASE = {
    Action.UPDATE_STATE: 0, Action.CREATE: 0, Action.REPLACE: 0,
    Action.GRANT: 1, Action.REVOKE: 2, Action.DELETE: 3,
}


@dataclass(frozen=True)
class Retire:
    """What a replacement does with the token it replaces: deleted once the new
    token is delivered (and verified), or kept `overlap_seconds` after that; with
    `retire_when_unused` (seconds), never by the replacing apply: a later one
    deletes it once PlanetScale has not seen it used for that long."""

    token_id: str
    overlap_seconds: int = 0
    retire_when_unused: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"token_id": self.token_id,
                                "overlap_seconds": self.overlap_seconds}
        if self.retire_when_unused is not None:  # only then: other plans stay as they were
            data["retire_when_unused_seconds"] = self.retire_when_unused
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Retire:
        unused = data.get("retire_when_unused_seconds")
        return cls(str(data["token_id"]), int(data.get("overlap_seconds") or 0),
                   None if unused is None else int(unused))


def deliver_to_json(entries: tuple[Destination, ...] | None) -> list[dict[str, Any]] | None:
    """`deliver:` as the config wrote it (a timeout only when it set one)."""
    if entries is None:
        return None
    out: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, CommandDestination):
            out.append({"command": entry.command}
                       | ({} if entry.timeout is None else {"timeout": entry.timeout})
                       | ({} if entry.stdin is None else {"stdin": entry.stdin}))
        else:
            out.append({"dir": entry.path})
    return out


def deliver_from_json(data: Any) -> tuple[Destination, ...] | None:
    if data is None:
        return None
    entries: list[Destination] = []
    for item in data:
        if "command" in item:
            timeout = item.get("timeout")
            entries.append(CommandDestination(str(item["command"]),
                                              None if timeout is None else int(timeout),
                                              item.get("stdin")))
        else:
            entries.append(DirDestination(str(item["dir"])))
    return tuple(entries)


@dataclass(frozen=True)
class Change:
    """One step of a plan. `token_id` is None for a token that does not exist yet.

    `previous_ttl` is the recorded ttl a TTL_CHANGED replacement moves away from.
    A create or replace carries everything apply needs to make the token: its
    destinations (its `deliver:`, else the plan's `default_deliver`; None only when
    apply's sink decides, for a library caller's own sink), whether state marks it
    `prevent_destroy`, for a replace what becomes of the old token (`retire`), and
    the call made as the new token to verify it before delivery (`verify`).
    """

    action: Action
    key: str | None
    token_id: str | None = None
    database: str | None = None
    accesses: tuple[str, ...] = ()
    cause: Cause | None = None
    ttl: int | None = None
    name: str | None = None
    previous_ttl: int | None = None
    retire: Retire | None = None
    deliver: tuple[Destination, ...] | None = None
    prevent_destroy: bool = False
    # grant: operations the token can perform after it and could not before; revoke:
    # those it can no longer perform (`denies`). Set by planning/allows; None elsewhere.
    allows: tuple[str, ...] | None = None
    denies: tuple[str, ...] | None = None
    verify: Verification | None = None

    @property
    def makes_token(self) -> bool:
        return self.action in (Action.CREATE, Action.REPLACE)

    @property
    def phase(self) -> int:
        return _PHASE[self.action]

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (self.phase, self.key or "", str(self.action), self.database or "",
                self.token_id or "")

    @property
    def deletes_live_token(self) -> bool:
        """Whether carrying this out deletes a token that was live when planned."""
        if self.action is Action.REPLACE:
            return self.cause is not Cause.DELETED_OUTSIDE and self.token_id is not None
        return self.action is Action.DELETE and self.cause not in (Cause.ALREADY_GONE,
                                                                    Cause.RETIRING_GONE)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "key": self.key,
            "token_id": self.token_id,
            "database": self.database,
            "accesses": list(self.accesses),
            "cause": None if self.cause is None else str(self.cause),
            "ttl": self.ttl,
            "name": self.name,
            "previous_ttl": self.previous_ttl,
        } | ({
            "retire": None if self.retire is None else self.retire.to_json(),
            "deliver": deliver_to_json(self.deliver),
            "prevent_destroy": self.prevent_destroy,
            "verify": None if self.verify is None else self.verify.to_json(),
        } if self.makes_token else {}) | ({
            "allows": None if self.allows is None else list(self.allows),
            "denies": None if self.denies is None else list(self.denies),
        } if self.action in (Action.GRANT, Action.REVOKE) else {})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        data = checked_change(data)
        one_of(data, "action", Action)
        one_of(data, "cause", Cause, optional=True)
        cause = data.get("cause")
        retire = data.get("retire")
        verify = data.get("verify")
        return cls(
            action=Action(data["action"]),
            key=data.get("key"),
            token_id=data.get("token_id"),
            database=data.get("database"),
            accesses=tuple(data.get("accesses") or ()),
            cause=None if cause is None else Cause(cause),
            ttl=data.get("ttl"),
            name=data.get("name"),
            previous_ttl=data.get("previous_ttl"),
            retire=None if retire is None else Retire.from_json(retire),
            deliver=deliver_from_json(data.get("deliver")),
            prevent_destroy=bool(data.get("prevent_destroy", False)),
            allows=_names(data.get("allows")),
            denies=_names(data.get("denies")),
            verify=None if verify is None else Verification.from_json(verify),
        )


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None or isinstance(value, tuple):  # a tuple comes from operation_sets
        return value
    return tuple(str(v) for v in value)
