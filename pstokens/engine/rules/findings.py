"""What a plan reports besides its changes, as typed values.

Drift seen outside pstokens, changes skipped by `prevent_destroy`, reasons a
plan is unsafe to apply, warnings, unmanaged tokens and how the leak check went. Each is plain data
with a kind; `pstokens.render.words` says them in English, so nothing
branches on wording and every view says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class UnmanagedToken:
    id: str
    name: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnmanagedToken:
        return cls(id=str(data["id"]), name=data.get("name"))


class DriftKind(StrEnum):
    DELETED = "deleted"  # the token was deleted outside pstokens
    GRANTED = "granted"  # `access` on `database` was granted outside pstokens
    REVOKED = "revoked"  # ... or revoked


@dataclass(frozen=True)
class Drift:
    """Something changed outside pstokens since it last wrote state."""

    key: str
    token_id: str | None
    kind: DriftKind
    database: str | None = None
    access: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "token_id": self.token_id, "kind": str(self.kind),
                "database": self.database, "access": self.access}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Drift:
        return cls(key=str(data["key"]), token_id=data.get("token_id"),
                   kind=DriftKind(data["kind"]), database=data.get("database"),
                   access=data.get("access"))


class SkipKind(StrEnum):
    REPLACE = "replace"  # a replacement, for `cause`, that prevent_destroy stops
    DELETE = "delete"  # a removed key whose token was protected when last applied


@dataclass(frozen=True)
class Skipped:
    """A change pstokens would make but will not (prevent_destroy). `cause` is a
    `Cause` value (as a string, to keep this module below change.py)."""

    key: str
    token_id: str | None
    kind: SkipKind
    cause: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "token_id": self.token_id, "kind": str(self.kind),
                "cause": self.cause}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Skipped:
        return cls(key=str(data["key"]), token_id=data.get("token_id"),
                   kind=SkipKind(data["kind"]), cause=data.get("cause"))


class UnsafeKind(StrEnum):
    TOO_MANY_DELETES = "too_many_deletes"  # past safety.max_delete_percent
    DELETES_NAMESAKE = "deletes_namesake"  # deletes an unmanaged token named like a key


@dataclass(frozen=True)
class Unsafe:
    """Why apply refuses this plan unless --force."""

    kind: UnsafeKind
    deletes: int = 0
    managed: int = 0
    percent: int = 0
    key: str | None = None
    token_id: str | None = None
    # TOO_MANY_DELETES: how many of `deletes` are of tokens no key manages
    # (unmanaged.policy delete, expired leases): counted, but not as managed ones.
    unmanaged: int = 0

    @property
    def managed_deletes(self) -> int:
        return self.deletes - self.unmanaged

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "deletes": self.deletes, "managed": self.managed,
                "percent": self.percent, "key": self.key, "token_id": self.token_id,
                "unmanaged": self.unmanaged}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Unsafe:
        return cls(kind=UnsafeKind(data["kind"]), deletes=int(data.get("deletes", 0)),
                   managed=int(data.get("managed", 0)), percent=int(data.get("percent", 0)),
                   key=data.get("key"), token_id=data.get("token_id"),
                   unmanaged=int(data.get("unmanaged", 0)))


class WarningKind(StrEnum):
    # A key about to be created shares its name with live tokens pstokens does
    # not manage: `pstokens import KEY ID` would adopt one instead.
    NAMESAKE = "namesake"
    # A managed token expires within 14 days and nothing in the plan replaces it.
    EXPIRES_SOON = "expires_soon"
    # A replaced token (retire_when_unused) still in use 7 days after its successor
    # was delivered: only `apply --force` deletes it.
    ROTATION_STUCK = "rotation_stuck"
    # A partly delivered key with more live tokens than one partly delivered
    # replacement leaves: a destination keeps failing, each apply adds a token.
    TOKENS_PILING_UP = "tokens_piling_up"


@dataclass(frozen=True)
class PlanWarning:
    kind: WarningKind
    key: str | None = None
    token_ids: tuple[str, ...] = ()
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": str(self.kind), "key": self.key,
                                "token_ids": list(self.token_ids)}
        if self.expires_at is not None:
            data["expires_at"] = self.expires_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanWarning:
        expires = data.get("expires_at")
        return cls(kind=WarningKind(data["kind"]), key=data.get("key"),
                   token_ids=tuple(str(i) for i in data.get("token_ids", [])),
                   expires_at=None if expires is None else datetime.fromisoformat(str(expires)))


class LeakCheckStatus(StrEnum):
    CHECKED = "checked"  # the log was read
    SKIPPED = "skipped"  # the credentials may not read it (403: no read_audit_logs)
    FAILED = "failed"  # the API failed, or answered something malformed


@dataclass(frozen=True)
class LeakCheck:
    """What a plan learned from the audit log: the token IDs reported leaked
    (only when `CHECKED`), or why it learned nothing (`detail`: the error's words)."""

    status: LeakCheckStatus
    leaked: frozenset[str] = frozenset()
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": str(self.status), "leaked": sorted(self.leaked), "detail": self.detail}

    @classmethod
    def from_json(cls, data: Any) -> LeakCheck:
        if data is None:  # a plan saved before leak checks
            return NOT_CHECKED
        detail = data.get("detail")
        return cls(LeakCheckStatus(data["status"]),
                   frozenset(str(i) for i in data.get("leaked") or ()),
                   None if detail is None else str(detail))


# What a plan made without reading the log holds (plain-data planner tests).
NOT_CHECKED = LeakCheck(LeakCheckStatus.CHECKED)
