"""`who-can`'s answer in words: the operation, then each able token and its `via`.

Token names are untrusted: each passes through the terminal escaper (token_label).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pstokens.engine.whocan import Able
from pstokens.operations import operations_table
from pstokens.render.rules import token_label, where


def who_can_json(able: Sequence[Able]) -> str:
    return json.dumps([a.to_json() for a in able], indent=2) + "\n"


def who_can_text(able: Sequence[Able], operation: str, database: str | None) -> str:
    table = operations_table()
    op = table.operations[operation]
    scope = "" if database is None else f" on {where(database)}"
    lines = [f"{operation}: {op.method} {op.path}"]
    if not op.accesses:
        lines.append("The API description lists no service-token access for it: "
                     "no service token can perform it.")
    elif not able:
        lines.append(f"No live token can perform it{scope}.")
    else:
        many = "token can" if len(able) == 1 else "tokens can"
        lines.append(f"{len(able)} {many} perform it{scope}:")
        lines.extend(f"  {token_label(a.name, a.id, a.key)}  via {', '.join(a.via)}"
                     for a in able)
    return "\n".join(lines) + "\n"
