"""A plan as a value: ordered changes plus what was seen, saved and loaded as JSON.

Changes are small frozen values whose order is built in: create (and the new
half of a replace) before grant before revoke before delete.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from pstokens.errors import PlanError

FORMAT_VERSION = 1


class Action(StrEnum):
    CREATE = "create"
    REPLACE = "replace"
    GRANT = "grant"
    REVOKE = "revoke"
    DELETE = "delete"


_PHASE = {Action.CREATE: 0, Action.REPLACE: 0, Action.GRANT: 1, Action.REVOKE: 2, Action.DELETE: 3}


@dataclass(frozen=True)
class Change:
    """One step of a plan. `token_id` is None for a token that does not exist yet."""

    action: Action
    key: str | None
    token_id: str | None = None
    database: str | None = None
    accesses: tuple[str, ...] = ()
    reason: str | None = None
    ttl: int | None = None
    name: str | None = None

    @property
    def phase(self) -> int:
        return _PHASE[self.action]

    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.phase, self.key or "", self.database or "", self.token_id or "")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = str(self.action)
        data["accesses"] = list(self.accesses)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            action=Action(data["action"]),
            key=data.get("key"),
            token_id=data.get("token_id"),
            database=data.get("database"),
            accesses=tuple(data.get("accesses") or ()),
            reason=data.get("reason"),
            ttl=data.get("ttl"),
            name=data.get("name"),
        )


@dataclass(frozen=True)
class UnmanagedToken:
    id: str
    name: str | None


@dataclass(frozen=True)
class Drift:
    """Something changed outside pstokens since it last wrote state."""

    key: str
    token_id: str | None
    description: str


@dataclass(frozen=True)
class Skipped:
    """A change pstokens would make but will not (prevent_destroy)."""

    key: str
    token_id: str | None
    description: str


@dataclass(frozen=True)
class Plan:
    organization: str
    lineage: str
    serial: int
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[UnmanagedToken, ...] = ()
    drift: tuple[Drift, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unsafe: str | None = None
    warnings: tuple[str, ...] = field(default=())
    # Key -> live tokens bearing that key's name, not pstokens', seen when planning a
    # create: apply records them so a lost create is never matched to one. Not saved:
    # apply always acts on a fresh plan.
    namesakes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @staticmethod
    def ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
        return tuple(sorted(changes, key=Change.sort_key))

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        count = {action: 0 for action in ("create", "replace", "delete", "grant", "revoke")}
        for change in self.changes:
            if change.action in (Action.GRANT, Action.REVOKE):
                count[str(change.action)] += len(change.accesses)
            else:
                count[str(change.action)] += 1
        return count

    def comparable(self) -> list[dict[str, Any]]:
        """What a fresh plan must match for a saved one to still be applied."""
        return [c.to_json() for c in self.changes]

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "organization": self.organization,
            "state": {"lineage": self.lineage, "serial": self.serial},
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [asdict(u) for u in self.unmanaged],
            "drift": [asdict(d) for d in self.drift],
            "skipped": [asdict(s) for s in self.skipped],
            "unsafe": self.unsafe,
            "warnings": list(self.warnings),
            "summary": self.summary(),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, data: Any, *, source: str = "plan") -> Plan:
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise PlanError(f"{source} is not a pstokens plan (format_version {FORMAT_VERSION})")
        try:
            plan = cls(
                organization=str(data["organization"]),
                lineage=str(data["state"]["lineage"]),
                serial=int(data["state"]["serial"]),
                changes=tuple(Change.from_json(c) for c in data["changes"]),
                unmanaged=tuple(UnmanagedToken(**u) for u in data.get("unmanaged", [])),
                drift=tuple(Drift(**d) for d in data.get("drift", [])),
                skipped=tuple(Skipped(**s) for s in data.get("skipped", [])),
                unsafe=data.get("unsafe"),
                warnings=tuple(data.get("warnings", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"{source} is damaged ({exc.__class__.__name__}: {exc})") from None
        if plan.changes != cls.ordered(plan.changes):
            raise PlanError(f"{source} has its changes out of order; it was edited by hand")
        return plan
