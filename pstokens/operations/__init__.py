"""PlanetScale's operations table: which service-token accesses allow which API operation.

The table ships as package data (`planetscale-operations-2026-08.json`, taken from
PlanetScale's public OpenAPI description; `python -m pstokens.operations.regenerate`
rebuilds it from a newer one). It is read on first use only, so `--help` and
`validate` of a config without `forbid_operations` never pay for it.

`PSTOKENS_OPERATIONS_TABLE` names another table file (one regenerated from a newer
description) without reinstalling. "Destructive" is defined here, once.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pstokens.errors import PstokensError

TABLE_FILE = "planetscale-operations-2026-08.json"
TABLE_ENV = "PSTOKENS_OPERATIONS_TABLE"

# Operation ids holding one of these words undo or move production state; with
# every DELETE they are the destructive class plans name.
DESTRUCTIVE_WORDS = frozenset({"promote", "demote", "restore", "cutover", "revert"})


class TableError(PstokensError):
    """The operations table could not be read."""


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    summary: str
    accesses: tuple[str, ...]  # a token needs any one of these; () for none described

    @property
    def destructive(self) -> bool:
        return is_destructive(self.method, self.id)


def is_destructive(method: str, operation: str) -> bool:
    """Whether an operation deletes, or promotes, demotes, restores, cuts over or reverts."""
    return method.upper() == "DELETE" or not DESTRUCTIVE_WORDS.isdisjoint(operation.split("_"))


@dataclass(frozen=True)
class OperationsTable:
    source: str
    notes: tuple[str, ...]
    operations: Mapping[str, Operation]  # id -> operation, in the table's order
    by_access: Mapping[str, frozenset[str]]  # access -> the operation ids it allows

    def allowed_by(self, accesses: Iterable[str]) -> frozenset[str]:
        """The operations any of `accesses` allows."""
        found: set[str] = set()
        for access in accesses:
            found |= self.by_access.get(access, frozenset())
        return frozenset(found)

    def described(self, access: str) -> bool:
        """Whether the table lists `access` for any operation: one it does not is
        "not described by the API", which is not the same as allowing nothing."""
        return access in self.by_access

    def destructive(self, operations: Iterable[str]) -> tuple[str, ...]:
        """The destructive ones among `operations`, sorted."""
        return tuple(sorted(o for o in operations
                            if o in self.operations and self.operations[o].destructive))

    def closest(self, name: str) -> str | None:
        """The known operation id closest to a misspelt one, if any is close."""
        found = difflib.get_close_matches(name, list(self.operations), n=1, cutoff=0.6)
        return found[0] if found else None

    @property
    def with_accesses(self) -> int:
        return sum(1 for o in self.operations.values() if o.accesses)

    @cached_property
    def token_operations(self) -> frozenset[str]:
        """Every operation some access allows: what a service token could ever do."""
        return frozenset(o.id for o in self.operations.values() if o.accesses)

    @cached_property
    def described_accesses(self) -> frozenset[str]:
        """Every access the table lists for some operation."""
        return frozenset(self.by_access)

    @cached_property
    def possibly_memo(self) -> dict[tuple[str, bool], frozenset[str]]:
        """`operations.undescribed.possibly_allowed`'s answers for this table, kept."""
        return {}

    @cached_property
    def database_operations(self) -> frozenset[str]:
        """The operations some access allows on one database (`{database}` in the path)."""
        return frozenset(o.id for o in self.operations.values()
                         if o.accesses and "{database}" in o.path)


def operations_table() -> OperationsTable:
    """The table in use: $PSTOKENS_OPERATIONS_TABLE's, or the packaged one (read once)."""
    return _load(os.environ.get(TABLE_ENV) or None)


@cache
def _load(path: str | None) -> OperationsTable:
    try:
        if path is None:
            text = resources.files(__package__).joinpath(TABLE_FILE).read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        return parse_table(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        where = path or f"the packaged {TABLE_FILE}"
        reason = getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"
        raise TableError(
            f"cannot load the operations table {where} ({reason})",
            hint=f"check {TABLE_ENV}, or unset it to use the packaged table",
        ) from None


def parse_table(data: Any) -> OperationsTable:
    """The table in its JSON form; ValueError/KeyError/TypeError when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
        raise ValueError("not an operations table: no 'operations' list")
    operations: dict[str, Operation] = {}
    by_access: dict[str, set[str]] = {}
    for item in data["operations"]:
        accesses = item["service_token_accesses_any_of"]
        if not isinstance(accesses, list) or not all(isinstance(a, str) for a in accesses):
            raise ValueError(f"bad accesses for {item.get('operation')!r}")
        op = Operation(str(item["operation"]), str(item["method"]).upper(), str(item["path"]),
                       str(item.get("summary", "")), tuple(accesses))
        operations[op.id] = op
        for access in accesses:
            by_access.setdefault(access, set()).add(op.id)
    return OperationsTable(
        source=str(data.get("source", "")),
        notes=tuple(str(n) for n in data.get("notes", ())),
        operations=operations,
        by_access={a: frozenset(ops) for a, ops in by_access.items()},
    )
