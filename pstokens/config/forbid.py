"""`rules.forbid_operations`: operation ids checked against PlanetScale's operations table.

Apart from the rest of the schema because it is the one rule that needs the
table: it is read only when a config sets forbid_operations, so `validate` of
any other config never loads it.
"""

from __future__ import annotations

from pstokens.config.nodes import Checker, Entry
from pstokens.config.wording import quote
from pstokens.errors import PstokensError


def forbidden_operations(check: Checker, entry: Entry | None) -> frozenset[str]:
    """rules.forbid_operations: operation ids the table knows (it is read only when set)."""
    if entry is None:
        return frozenset()
    names = check.strings(entry.value, "rules.forbid_operations", "an operation id",
                          "operation ids")
    if not names:
        return frozenset()
    from pstokens.operations import operations_table

    try:
        table = operations_table()
    except PstokensError as exc:
        check.add(entry.value, exc.message)
        return frozenset()
    found: set[str] = set()
    for item, name in names:
        if name in table.operations:
            found.add(name)
            continue
        guess = table.closest(name)
        hint = f"did you mean {quote(guess)}?" if guess else "see docs/who-can.md"
        check.add(item, f"unknown operation {quote(name)} ({hint})")
    return frozenset(found)
