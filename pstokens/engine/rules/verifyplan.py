"""How a new token will be verified: chosen at plan time, carried by the plan.

Verification is one call made as the new token, after its grants and before
its secret goes anywhere (PRODUCT.md "Rotation", step 3). The call is a GET
operation that one of the token's accesses allows by the operations table:
on one of its databases when it has database accesses, else on the
organization; only paths whose sole parameters are `{organization}` and
`{database}` qualify, since nothing else is known. One the database's own
grants allow comes first; among those, the one the fewest accesses allow
wins (its success proves the most about this token's grants), then the
shortest path, then the id. A token none of whose accesses
allows such a GET is verified by `GET /v1/organizations`, which needs none.

A pure choice over plain data: the planner puts it on each create and
replace (`Change.verify`), and `pstokens exec` makes the same choice for a
lease.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from pstokens.operations import Operation, OperationsTable

FALLBACK = "list_organizations"
FALLBACK_PATH = "/v1/organizations"
_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Verification:
    """The call that verifies a new token: `operation` (an id of the operations
    table) on `database`, or on the organization when None."""

    operation: str = FALLBACK
    database: str | None = None

    @property
    def fallback(self) -> bool:
        return self.operation == FALLBACK

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "database": self.database}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verification:
        database = data.get("database")
        return cls(str(data["operation"]), None if database is None else str(database))


def choose_verification(accesses: Mapping[str | None, Set[str]],
                        table: OperationsTable | None) -> Verification:
    """The verification of a token holding `accesses` (database -> names; None is
    the organization). `table` may be None only when `accesses` is empty."""
    if not any(accesses.values()) or table is None:
        return Verification()
    org_level = set(accesses.get(None, ()))
    for database in sorted(d for d, names in accesses.items() if d is not None and names):
        # What the database's own grants allow first: its success proves them.
        found = (_best(table, set(accesses[database]), database=True)
                 or _best(table, org_level | set(accesses[database]), database=True))
        if found is not None:
            return Verification(found.id, database)
    found = _best(table, org_level, database=False)
    return Verification() if found is None else Verification(found.id)


def _best(table: OperationsTable, held: set[str], *, database: bool) -> Operation | None:
    candidates = [op for op in (table.operations[i] for i in table.allowed_by(held))
                  if op.method == "GET" and _fits(op.path, database=database)]
    if not candidates:
        return None
    return min(candidates, key=lambda op: (len(op.accesses), len(op.path), op.id))


def _fits(path: str, *, database: bool) -> bool:
    wanted = {"organization", "database"} if database else {"organization"}
    return set(_PARAMETER.findall(path)) == wanted


class Chooser:
    """`choose_verification` for many tokens: one answer per distinct access map,
    and the operations table read only once some token holds an access."""

    def __init__(self, table: OperationsTable | None = None) -> None:
        self._table = table
        self._memo: dict[frozenset[tuple[str | None, frozenset[str]]], Verification] = {}

    def __call__(self, accesses: Mapping[str | None, frozenset[str]]) -> Verification:
        key = frozenset(accesses.items())
        found = self._memo.get(key)
        if found is None:
            if self._table is None and any(accesses.values()):
                from pstokens.operations import operations_table

                self._table = operations_table()
            found = self._memo[key] = choose_verification(accesses, self._table)
        return found


def path_template(check: Verification, table: OperationsTable | None = None) -> str:
    """The path of `check`'s operation as the table writes it (`/v1/...`), the table
    read only when it is needed; KeyError when the table does not know it."""
    if check.fallback:
        return FALLBACK_PATH
    if table is None:
        from pstokens.operations import operations_table

        table = operations_table()
    return table.operations[check.operation].path
