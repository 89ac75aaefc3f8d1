"""`who-can`'s answer in words: the operation, then each able token and its `via`,
where each access is held; then the tokens possibly able, by an access the API
does not describe (pstokens fails closed on those).

Token and database names are untrusted: each passes through the terminal escaper.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pstokens.engine.inventory.whocan import Able
from pstokens.engine.rules.reach import Held
from pstokens.operations import operations_table
from pstokens.render.rules import safe, token_label, where

POSSIBLY_HEADING = "Possibly, by an access the API does not describe"


def who_can_json(able: Sequence[Able]) -> str:
    return json.dumps([a.to_json() for a in able], indent=2) + "\n"


def held_text(held: Sequence[Held]) -> str:
    """`delete_database on app-prod, read_databases on the organization`."""
    return ", ".join(f"{safe(h.access)} on "
                     f"{'the organization' if h.database is None else safe(h.database)}"
                     for h in held)


def who_can_text(able: Sequence[Able], operation: str, database: str | None) -> str:
    table = operations_table()
    op = table.operations[operation]
    scope = "" if database is None else f" on {where(database)}"
    sure = [a for a in able if not a.possibly]
    maybe = [a for a in able if a.possibly]
    lines = [f"{operation}: {op.method} {op.path}"]
    if not op.accesses and not able:
        lines.append("The API description lists no service-token access for it: "
                     "no service token can perform it.")
    elif not sure:
        described = " by an access the API describes" if maybe else ""
        lines.append(f"No live token can perform it{scope}{described}.")
    else:
        many = "token can" if len(sure) == 1 else "tokens can"
        lines.append(f"{len(sure)} {many} perform it{scope}:")
        lines.extend(_row(a) for a in sure)
    if maybe:
        many = "token" if len(maybe) == 1 else "tokens"
        lines.append(f"{POSSIBLY_HEADING} ({len(maybe)} {many}):")
        lines.extend(_row(a) for a in maybe)
    return "\n".join(lines) + "\n"


def _row(able: Able) -> str:
    return f"  {token_label(able.name, able.id, able.key)}  via {held_text(able.via)}"
