"""What a token's accesses let it do, by the operations table and the scope rule.

The scope rule: an access granted on a database allows the operations the table
lists for it on that database; an organization-level access allows its operations
across the organization, so on every database too. Pure functions over an
AccessMap (database -> accesses; None is the organization).
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from pstokens.config.model import AccessMap
from pstokens.operations import OperationsTable


def performable(accesses: Mapping[str | None, Set[str]], database: str | None,
                table: OperationsTable) -> frozenset[str]:
    """The operations the token can perform on `database` (None: the organization's own)."""
    held = set(accesses.get(None, ()))
    if database is not None:
        held |= accesses.get(database, set())
    return table.allowed_by(held)


def operations_of(accesses: AccessMap | None, table: OperationsTable) -> frozenset[str]:
    """Every operation the token can perform somewhere in the organization."""
    found: set[str] = set()
    for names in (accesses or {}).values():
        for access in names:
            found |= table.by_access.get(access, frozenset())
    return frozenset(found)


def via(accesses: AccessMap | None, operation: str, database: str | None,
        table: OperationsTable) -> tuple[str, ...]:
    """The accesses that let the token perform `operation`, sorted: on `database`
    (its own and the organization's), or anywhere when `database` is None."""
    needed = set(table.operations[operation].accesses)
    held: set[str] = set()
    for scope, names in (accesses or {}).items():
        if database is None or scope is None or scope == database:
            held |= names & needed
    return tuple(sorted(held))
