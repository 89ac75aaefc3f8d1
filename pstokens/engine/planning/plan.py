"""A plan as a value: ordered changes plus what was seen, saved and loaded as JSON.

Changes are small frozen values whose order is built in: state-only updates
and creates (and the new half of a replace) before grant before revoke before
delete. Every change carries a typed `cause`; no code branches on wording,
which `pstokens.render` owns. The JSON here is machine data only: the
renderers add the words (`reason`, `description`, `message`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pstokens.destinations import CommandDestination, Destination, DirDestination
from pstokens.engine.rules.findings import (
    NOT_CHECKED,
    Drift,
    DriftKind,
    LeakCheck,
    PlanWarning,
    SkipKind,
    Skipped,
    UnmanagedToken,
    Unsafe,
    UnsafeKind,
    WarningKind,
)
from pstokens.engine.rules.guardrails import Unused, Violation
from pstokens.engine.rules.leaseview import LeaseView
from pstokens.engine.rules.plancheck import (
    checked_change,
    checked_deliver,
    checked_plan_fields,
    checked_top,
    entries,
    one_of,
    operation_sets,
)
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind
from pstokens.engine.rules.rotation import Retiring
from pstokens.engine.rules.verifyplan import Verification
from pstokens.errors import PlanError

# 2: replace changes carry `retire`, create and replace carry `deliver` and
# `prevent_destroy`, and the plan records `removed` keys and its `config`.
# 3: a saved plan may write a grant's `allows` (a revoke's `denies`) as an index
# into its `operation_sets`, each distinct list once, and leave null fields out.
# 4: create and replace carry `verify`, the call that verifies the new token.
FORMAT_VERSION = 4


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


def _reader(resolve: Callable[[dict[str, Any]], dict[str, Any]]
            ) -> Callable[[dict[str, Any]], Change]:
    return lambda data: Change.from_json(resolve(data))


_WARNING_KINDS = (*(str(k) for k in WarningKind), "unused")


def _warning(data: dict[str, Any]) -> PlanWarning | Unused:
    """A saved warning: the rules' unused-token finding, or a plan warning."""
    return Unused.from_json(data) if data.get("kind") == "unused" else PlanWarning.from_json(data)


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None or isinstance(value, tuple):  # a tuple comes from operation_sets
        return value
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class Plan:
    organization: str
    lineage: str
    serial: int
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[UnmanagedToken, ...] = ()
    drift: tuple[Drift, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unsafe: tuple[Unsafe, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    # Replaced tokens kept working by `overlap` or `retire_when_unused`: expected,
    # so not a difference (a stuck one is a warning, `rotation_stuck`).
    retiring: tuple[Retiring, ...] = ()
    # `rules:` findings on live tokens, managed or not: violations make the plan
    # differ; unused tokens are warnings (saved among `warnings`, kind "unused").
    violations: tuple[Violation, ...] = ()
    unused: tuple[Unused, ...] = ()
    # Live leases (`pstokens exec`): listed, not unmanaged, not drift, not a difference.
    leases: tuple[LeaseView, ...] = ()
    # What the plan was made from: a saved plan is applied only against the same.
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    config_digest: str | None = None
    # Where the secrets of new tokens without `deliver:` go, as resolved when the plan
    # was made (the flags, or the default folder); each such change carries them too.
    default_deliver: tuple[Destination, ...] | None = None
    # Keys in state that left the config: apply forgets them once their tokens go.
    removed: tuple[str, ...] = ()
    # What the config asked for, as plain data: a stale saved plan names what changed.
    config: Any = field(default=None, compare=False)
    # Key -> live tokens bearing that key's name, not pstokens', seen when planning a
    # create: apply records them so a lost create is never matched to one. Not saved:
    # apply always acts on a fresh plan.
    namesakes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    # What the audit log said (engine/reading/leaks.py): the leaked IDs, or why it was not read.
    leak_check: LeakCheck = NOT_CHECKED
    # `rules.policies`' findings on this plan's document: a deny makes the plan differ.
    policies: tuple[PolicyFinding, ...] = ()

    @staticmethod
    def ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
        return tuple(sorted(changes, key=Change.sort_key))

    @property
    def has_changes(self) -> bool:
        """Whether apply has anything to do (API calls or state-only updates)."""
        return bool(self.changes)

    @property
    def differs(self) -> bool:
        """Whether anything at all differs: what `--detailed-exitcode` exits 2 for."""
        return bool(self.changes or self.skipped or self.unmanaged or self.drift
                    or self.violations or self.denied)

    @property
    def denied(self) -> tuple[PolicyFinding, ...]:
        """The policies' violations (their `deny` strings)."""
        return tuple(f for f in self.policies if f.kind is PolicyKind.DENY)

    def summary(self) -> dict[str, int]:
        return tally(self.changes)

    def comparable(self) -> list[dict[str, Any]]:
        """What a fresh plan must match for a saved one to still be applied."""
        return [c.to_json() for c in self.changes]

    def deliveries(self) -> dict[str, tuple[Destination, ...]]:
        """Key -> its own `deliver:` destinations, for the tokens this plan makes."""
        return {c.key: c.deliver for c in self.changes
                if c.makes_token and c.key is not None and c.deliver is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "organization": self.organization,
            "state": {"lineage": self.lineage, "serial": self.serial},
            "targets": list(self.targets),
            "replace": list(self.replace),
            "config_digest": self.config_digest,
            "default_deliver": deliver_to_json(self.default_deliver),
            "config": self.config,
            "removed": list(self.removed),
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [u.to_json() for u in self.unmanaged],
            "drift": [d.to_json() for d in self.drift],
            "skipped": [s.to_json() for s in self.skipped],
            "unsafe": [u.to_json() for u in self.unsafe] or None,
            "violations": [v.to_json() for v in self.violations],
            "warnings": [w.to_json() for w in self.warnings] + [u.to_json() for u in self.unused],
            "retiring": [r.to_json() for r in self.retiring],
            "leases": [v.to_json() for v in self.leases],
            "leak_check": self.leak_check.to_json(),
            "summary": self.summary(),
        } | ({"policies": [f.to_json() for f in self.policies]} if self.policies else {})

    @classmethod
    def from_json(cls, data: Any, *, source: str = "plan") -> Plan:
        checked_plan_fields(data, source, FORMAT_VERSION)
        try:
            checked_top(data)
            warnings = entries(data, "warnings", _warning, _WARNING_KINDS)
            plan = cls(
                organization=data["organization"],
                lineage=data["state"]["lineage"],
                serial=data["state"]["serial"],
                changes=entries(data, "changes", _reader(operation_sets(data))),
                unmanaged=entries(data, "unmanaged", UnmanagedToken.from_json),
                drift=entries(data, "drift", Drift.from_json, DriftKind),
                skipped=entries(data, "skipped", Skipped.from_json, SkipKind),
                unsafe=entries(data, "unsafe", Unsafe.from_json, UnsafeKind),
                warnings=tuple(w for w in warnings if isinstance(w, PlanWarning)),
                violations=entries(data, "violations", Violation.from_json),
                unused=tuple(w for w in warnings if isinstance(w, Unused)),
                retiring=entries(data, "retiring", Retiring.from_json),
                leases=entries(data, "leases", LeaseView.from_json),
                targets=tuple(str(t) for t in data.get("targets") or []),
                replace=tuple(str(t) for t in data.get("replace") or []),
                config_digest=data.get("config_digest"),
                default_deliver=deliver_from_json(checked_deliver(data.get("default_deliver"))),
                removed=tuple(str(k) for k in data.get("removed") or []),
                config=data.get("config"),
                leak_check=LeakCheck.from_json(data.get("leak_check")),
                policies=entries(data, "policies", PolicyFinding.from_json, PolicyKind),
            )
        except PlanError as exc:
            raise PlanError(f"{source} is damaged: {exc.message}",
                            hint="save a new one with `pstokens plan --out FILE`") from None
        if plan.changes != cls.ordered(plan.changes):
            raise PlanError(f"{source} has its changes out of order; it was edited by hand")
        return plan
