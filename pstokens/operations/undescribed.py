"""What an access the operations table does not describe *may* allow: pstokens fails closed.

PlanetScale's table lists some accesses for no operation ("not described by
the API"). Reading that as "allows nothing" would let a token holding
`delete_databases` pass `forbid_operations: [delete_database]`. So pstokens
ships a small table of its own (`undescribed-accesses.json`, each row with
its reason) of what each such access may allow, and an access that neither
table explains (one PlanetScale adds later) possibly allows every operation
in its scope. A row applies only while the operations table leaves its
access undescribed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pstokens.operations import OperationsTable, TableError

UNDESCRIBED_FILE = "undescribed-accesses.json"


@dataclass(frozen=True)
class Undescribed:
    """One row: the operations `access` may allow (`like`: those the table gives that
    access), and why pstokens thinks so."""

    access: str
    level: str  # "organization" or "database": where PlanetScale grants it
    operations: tuple[str, ...]
    like: str | None
    reason: str

    def operations_in(self, table: OperationsTable) -> frozenset[str]:
        """The row's operations that `table` knows."""
        named = set(self.operations)
        if self.like is not None:
            named |= table.by_access.get(self.like, frozenset())
        return frozenset(o for o in named if o in table.operations)


@cache
def undescribed_accesses() -> Mapping[str, Undescribed]:
    """pstokens' own table, by access (read once)."""
    try:
        text = resources.files(__package__).joinpath(UNDESCRIBED_FILE).read_text("utf-8")
        rows = json.loads(text)["accesses"]
        return {row["access"]: Undescribed(
            access=str(row["access"]), level=str(row["level"]),
            operations=tuple(str(o) for o in row.get("operations", ())),
            like=row.get("like"), reason=str(row["reason"]),
        ) for row in rows}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TableError(f"cannot load the packaged {UNDESCRIBED_FILE} "
                         f"({type(exc).__name__}: {exc})",
                         hint="reinstall pstokens") from None


def possibly_allowed(access: str, on_database: bool, table: OperationsTable) -> frozenset[str]:
    """The operations `access`, held on a database (`on_database`) or on the
    organization, may allow although `table` does not say so: nothing when `table`
    describes it; its row's operations; or, with no row, every operation in its
    scope that some access allows (an organization-level access's scope takes in
    every database)."""
    memo = table.possibly_memo
    found = memo.get((access, on_database))
    if found is None:
        row = undescribed_accesses().get(access)
        if table.described(access):
            found = frozenset()
        elif row is not None:
            found = row.operations_in(table)
        else:
            found = table.database_operations if on_database else table.token_operations
        memo[(access, on_database)] = found
    return found


def reason(access: str) -> str | None:
    """Why pstokens thinks an undescribed access may allow its operations, if it has a row."""
    row = undescribed_accesses().get(access)
    return row.reason if row is not None else None
