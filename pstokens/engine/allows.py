"""The post-pass that says what each access change opens or closes, in operations.

Called once at the end of planning: a pure function over the plan's changes and
the accesses seen live. Grants run before revokes and in plan order, so each
grant is measured against the token's live accesses plus the grants before it,
and each revoke against everything granted before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pstokens.engine.live import LiveToken
from pstokens.engine.plan import Action, Change, Plan
from pstokens.engine.reach import performable
from pstokens.operations import OperationsTable, operations_table


def with_allows(plan: Plan, live: Mapping[str, LiveToken],
                table: OperationsTable | None = None) -> Plan:
    """`plan` with `allows` on each grant and `denies` on each revoke."""
    if not any(c.action in (Action.GRANT, Action.REVOKE) for c in plan.changes):
        return plan
    table = table or operations_table()
    held: dict[tuple[str | None, str | None], dict[str | None, set[str]]] = {}
    changes: list[Change] = []
    for change in plan.changes:
        if change.action in (Action.GRANT, Action.REVOKE):
            token = held.setdefault((change.key, change.token_id),
                                    _live_accesses(change.token_id, live))
            change = _measure(change, token, table)
        changes.append(change)
    return replace(plan, changes=tuple(changes))


def _measure(change: Change, token: dict[str | None, set[str]],
             table: OperationsTable) -> Change:
    touched = table.allowed_by(change.accesses)
    before = performable(token, change.database, table)
    scope = token.setdefault(change.database, set())
    if change.action is Action.GRANT:
        scope.update(change.accesses)
        return replace(change, allows=tuple(sorted(touched - before)))
    scope.difference_update(change.accesses)
    after = performable(token, change.database, table)
    return replace(change, denies=tuple(sorted((touched & before) - after)))


def _live_accesses(token_id: str | None, live: Mapping[str, LiveToken]
                   ) -> dict[str | None, set[str]]:
    token = live.get(token_id) if token_id is not None else None
    if token is None or token.accesses is None:
        return {}
    return {db: set(names) for db, names in token.accesses.items()}
