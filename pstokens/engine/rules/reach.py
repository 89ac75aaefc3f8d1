"""What a token's accesses let it do, by the operations table and the scope rule.

The scope rule: an access granted on a database allows the operations the table
lists for it on that database; an organization-level access allows its operations
across the organization, so on every database too. An access the table does not
describe possibly allows what pstokens' own table says (`operations.undescribed`):
pstokens fails closed. Pure functions over an AccessMap (database -> accesses;
None is the organization).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pstokens.config.model import AccessMap
from pstokens.operations import OperationsTable
from pstokens.operations.undescribed import possibly_allowed


@dataclass(frozen=True)
class Held:
    """One access where the token holds it: on a database, or (None) the organization."""

    access: str
    database: str | None

    def to_json(self) -> dict[str, Any]:
        return {"access": self.access, "database": self.database}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Held:
        database = data.get("database")
        return cls(str(data["access"]), None if database is None else str(database))


def _place(held: Held) -> tuple[bool, str, str]:
    return (held.database is not None, held.database or "", held.access)


def operations_of(accesses: AccessMap | None, table: OperationsTable) -> frozenset[str]:
    """Every operation the token can perform somewhere in the organization."""
    found: set[str] = set()
    for names in (accesses or {}).values():
        for access in names:
            found |= table.by_access.get(access, frozenset())
    return frozenset(found)


def via(accesses: AccessMap | None, operation: str, database: str | None,
        table: OperationsTable) -> tuple[tuple[Held, ...], tuple[Held, ...]]:
    """Where the token holds what lets it perform `operation`, on `database` (its own
    accesses and the organization's) or anywhere when `database` is None: the
    accesses the table says allow it, and those that possibly do (undescribed
    ones), each sorted, the organization's first."""
    needed = frozenset(table.operations[operation].accesses)
    described = table.described_accesses
    sure: list[Held] = []
    maybe: list[Held] = []
    for scope, names in (accesses or {}).items():
        if not (database is None or scope is None or scope == database):
            continue
        hit = names & needed
        if hit:
            sure.extend(Held(access, scope) for access in hit)
        odd = names - described  # rare: undescribed accesses only
        if odd:
            maybe.extend(Held(access, scope) for access in odd
                         if operation in possibly_allowed(access, scope is not None, table))
    return _sorted(sure), _sorted(maybe)


def _sorted(held: list[Held]) -> tuple[Held, ...]:
    return tuple(sorted(held, key=_place)) if len(held) > 1 else tuple(held)
