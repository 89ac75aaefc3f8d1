"""The post-pass that says what each access change opens or closes, in operations.

Called once at the end of planning: a pure function over the plan's changes and
the accesses seen live. A grant of an access the API does not describe opens
what it may allow (pstokens' own table): fail closed, never "nothing". Grants
run before revokes and in plan order, so each grant is measured against the
token's live accesses plus the grants before it, and each revoke against
everything granted before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.reach import performable
from pstokens.operations import OperationsTable, operations_table
from pstokens.operations.undescribed import possibly_allowed

# (action, accesses changed, accesses held on the change's scope, on the organization)
_Key = tuple[Action, frozenset[str], tuple[frozenset[str], frozenset[str]]]


def with_allows(plan: Plan, live: Mapping[str, LiveToken],
                table: OperationsTable | None = None) -> Plan:
    """`plan` with `allows` on each grant and `denies` on each revoke."""
    if not any(c.action in (Action.GRANT, Action.REVOKE) for c in plan.changes):
        return plan
    table = table or operations_table()
    held: dict[tuple[str | None, str | None], dict[str | None, set[str]]] = {}
    changes: list[Change] = []
    memo: dict[_Key, tuple[str, ...]] = {}
    for change in plan.changes:
        if change.action in (Action.GRANT, Action.REVOKE):
            token = held.setdefault((change.key, change.token_id),
                                    _live_accesses(change.token_id, live))
            change = _measure(change, token, table, memo)
        changes.append(change)
    return replace(plan, changes=tuple(changes))


def _measure(change: Change, token: dict[str | None, set[str]], table: OperationsTable,
             memo: dict[_Key, tuple[str, ...]]
             ) -> Change:
    # Tokens share access sets: the answer for one (change, held before) pair is reused.
    scope = token.setdefault(change.database, set())
    org = frozenset(token.get(None, ())) if change.database else frozenset()
    held = (frozenset(scope), org)
    asked = frozenset(change.accesses)
    found = memo.get((change.action, asked, held))
    if found is None:
        touched = table.allowed_by(asked)
        before = performable(token, change.database, table)
        if change.action is Action.GRANT:
            # Fail closed: what an access the API does not describe may allow counts
            # as opened (who-can lists it as "possibly"), never as nothing.
            for access in asked:
                touched |= possibly_allowed(access, change.database is not None, table)
            found = tuple(sorted(touched - before))
        else:
            rest = {db: names - asked if db == change.database else names
                    for db, names in token.items()}
            found = tuple(sorted((touched & before) - performable(rest, change.database, table)))
        memo[(change.action, asked, held)] = found
    if change.action is Action.GRANT:
        scope.update(asked)
        return _with(change, "allows", found)
    scope.difference_update(asked)
    return _with(change, "denies", found)


def _with(change: Change, name: str, value: tuple[str, ...]) -> Change:
    """`change` with one field set. `dataclasses.replace` runs `__init__` over every
    field, and a plan of 30,000 grants paid for that with about a third of its time;
    a frozen Change has no checks in `__init__` to skip, so its fields are copied."""
    new = object.__new__(Change)
    new.__dict__.update(change.__dict__)
    new.__dict__[name] = value
    return new


def _live_accesses(token_id: str | None, live: Mapping[str, LiveToken]
                   ) -> dict[str | None, set[str]]:
    token = live.get(token_id) if token_id is not None else None
    if token is None or token.accesses is None:
        return {}
    return {db: set(names) for db, names in token.accesses.items()}
