"""The access review behind `pstokens report`: who can do what, as a value.

`build_report` is pure: live tokens, state (which keys manage which tokens)
and rules in, a `Report` out, which render/ shows as text, Markdown or HTML
and `to_json` gives to scripts and the MCP `report-service-tokens` tool.
Reading the organization for it is `reading/reviews.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pstokens.config.model import Rules
from pstokens.engine.inventory.escalation import Escalation, escalations
from pstokens.engine.rules.guardrails import (
    Unused,
    Violation,
    check_live,
    find_unused,
    managed_keys,
)
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.reach import operations_of
from pstokens.operations import operations_table
from pstokens.state.model import State

FORMAT_VERSION = 1


@dataclass(frozen=True)
class TokenRow:
    """One live token as the review shows it."""

    id: str
    name: str | None
    key: str | None  # the managed key; None when pstokens does not manage it
    created_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    expired: bool
    # Database -> its accesses, sorted; None is the organization. None: not read.
    accesses: Mapping[str | None, tuple[str, ...]]
    violations: tuple[Violation, ...] = ()
    unused: Unused | None = None
    # What the accesses allow, by the operations table: how many operations, and the
    # held accesses the table lists for none ("not described by the API").
    operations: int = 0
    not_described: tuple[str, ...] = ()
    escalations: tuple[Escalation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "key": self.key,
            "managed": self.key is not None,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "last_used_at": _iso(self.last_used_at),
            "expired": self.expired,
            "accesses": {
                "organization": list(self.accesses.get(None, ())),
                "databases": {db: list(names) for db, names in self.accesses.items()
                              if db is not None},
            },
            "violations": [v.to_json() for v in self.violations],
            "unused": self.unused is not None,
            "operations": self.operations,
            "not_described": list(self.not_described),
            "escalations": [str(e.path) for e in self.escalations],
        }


@dataclass(frozen=True)
class Report:
    organization: str
    generated_at: datetime
    rules: Rules | None
    tokens: tuple[TokenRow, ...]
    databases: tuple[str, ...]  # every database any token holds an access on, sorted

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(v for row in self.tokens for v in row.violations)

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        return tuple(e for row in self.tokens for e in row.escalations)

    @property
    def unused(self) -> tuple[Unused, ...]:
        return tuple(row.unused for row in self.tokens if row.unused is not None)

    def summary(self) -> dict[str, int]:
        managed = sum(1 for row in self.tokens if row.key is not None)
        return {
            "tokens": len(self.tokens),
            "managed": managed,
            "unmanaged": len(self.tokens) - managed,
            "databases": len(self.databases),
            "violations": len(self.violations),
            "tokens_with_violations": sum(1 for row in self.tokens if row.violations),
            "unused": len(self.unused),
            "expired": sum(1 for row in self.tokens if row.expired),
            "escalations": len(self.escalations),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "organization": self.organization,
            "generated_at": _iso(self.generated_at),
            "rules": _rules_json(self.rules),
            "summary": self.summary(),
            "databases": list(self.databases),
            "tokens": [row.to_json() for row in self.tokens],
            "violations": [v.to_json() for v in self.violations],
            "escalations": [e.to_json() for e in self.escalations],
            "warnings": [u.to_json() for u in self.unused],
        }


def build_report(
    organization: str,
    live: Iterable[LiveToken],
    state: State,
    rules: Rules | None,
    now: datetime,
) -> Report:
    """The review of `live`, every token managed or not, sorted by name then ID."""
    tokens = sorted(live, key=lambda t: ((t.name or "").casefold(), t.name or "", t.id))
    keys = managed_keys(state)
    violations: dict[str, list[Violation]] = {}
    for violation in check_live(tokens, keys, rules):
        violations.setdefault(violation.token_id, []).append(violation)
    unused = {u.token_id: u for u in find_unused(tokens, keys, rules, now)}
    databases: set[str] = set()
    table = operations_table()
    rows = []
    for token in tokens:
        held = {a for names in (token.accesses or {}).values() for a in names}
        accesses = {db: tuple(sorted(names)) for db, names in (token.accesses or {}).items()}
        databases.update(db for db in accesses if db is not None)
        rows.append(TokenRow(
            id=token.id, name=token.name, key=keys.get(token.id),
            created_at=token.created_at, expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            expired=token.expires_at is not None and token.expires_at <= now,
            accesses=dict(sorted(accesses.items(), key=lambda item: item[0] or "")),
            violations=tuple(violations.get(token.id, ())),
            unused=unused.get(token.id),
            operations=len(operations_of(token.accesses, table)),
            not_described=tuple(sorted(a for a in held if not table.described(a))),
            escalations=escalations(token, keys.get(token.id)),
        ))
    return Report(organization, now, rules, tuple(rows), tuple(sorted(databases)))


def _rules_json(rules: Rules | None) -> dict[str, Any] | None:
    if rules is None:
        return None
    return {
        "forbid_accesses": sorted(rules.forbid_accesses),
        "forbid_operations": sorted(rules.forbid_operations),
        "require_ttl": rules.require_ttl,
        "max_ttl": rules.max_ttl,
        "unused_after": rules.unused_after,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
