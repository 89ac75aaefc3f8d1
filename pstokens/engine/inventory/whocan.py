"""`who-can`: the live tokens, managed or not, able to perform one API operation.

`who_can` is pure (live tokens, state keys and the operations table in, the able
tokens out, then those possibly able by an access the API does not describe);
reading the organization for it is `reading/reviews.py`'s, the same calls a
report makes, so the CLI, the MCP tool and the REST endpoint give one answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.reach import Held, via
from pstokens.errors import PstokensError
from pstokens.operations import OperationsTable, operations_table


class UnknownName(PstokensError):
    """An operation the table does not know, or a database no token and no config names."""


@dataclass(frozen=True)
class Able:
    """A live token that can perform the operation, and where it holds the accesses
    that let it; `possibly`: only by accesses the API does not describe."""

    id: str
    name: str | None
    key: str | None  # the managed key; None when pstokens does not manage it
    via: tuple[Held, ...]
    possibly: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "key": self.key,
                "via": [h.to_json() for h in self.via], "possibly": self.possibly}


def check_operation(operation: str, table: OperationsTable | None = None) -> None:
    """Refuse an operation the table does not know, naming the closest known one."""
    table = table or operations_table()
    if operation in table.operations:
        return
    guess = table.closest(operation)
    raise UnknownName(
        f"unknown operation {operation!r}" + (f" (did you mean {guess!r}?)" if guess else ""),
        hint="operation ids are the API's operationId, such as promote_branch; "
             "docs/who-can.md says where the table comes from",
    )


def check_database(database: str, live: Iterable[LiveToken], known: Iterable[str] = ()) -> None:
    """Refuse a database that no live token holds an access on and the config does not name."""
    names = set(known)
    for token in live:
        names.update(db for db in (token.accesses or {}) if db is not None)
    if database in names or not names:
        return
    guess = get_close_matches(database, sorted(names), n=1, cutoff=0.6)
    raise UnknownName(
        f"unknown database {database!r}: no token holds an access on it"
        + (f" (did you mean {guess[0]!r}?)" if guess else ""),
        hint="leave out --database to ask about the whole organization",
    )


def who_can(
    live: Iterable[LiveToken],
    keys: Mapping[str, str],
    operation: str,
    database: str | None = None,
    table: OperationsTable | None = None,
) -> tuple[Able, ...]:
    """The tokens able to perform `operation` (on `database`), sorted by name then ID,
    then those possibly able (`possibly`), sorted the same way."""
    table = table or operations_table()
    check_operation(operation, table)
    found = []
    for token in live:
        sure, maybe = via(token.accesses, operation, database, table)
        if sure or maybe:
            found.append(Able(token.id, token.name, keys.get(token.id), sure or maybe,
                              possibly=not sure))
    return tuple(sorted(found, key=lambda a: (a.possibly, (a.name or "").casefold(),
                                              a.name or "", a.id)))
