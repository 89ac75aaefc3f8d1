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
from pstokens.operations import OperationsTable, operations_table
from pstokens.operations.undescribed import possibly_allowed

# (action, accesses changed, accesses held on the change's scope, on the organization,
# whether the scope is a database: what an undescribed access may allow depends on it)
_Key = tuple[Action, tuple[str, ...], frozenset[str], frozenset[str], bool]
# What the change allows or denies, and the scope's accesses after it.
_Answer = tuple[tuple[str, ...], frozenset[str]]
_NONE: frozenset[str] = frozenset()


def with_allows(plan: Plan, live: Mapping[str, LiveToken],
                table: OperationsTable | None = None) -> Plan:
    """`plan` with `allows` on each grant and `denies` on each revoke."""
    if not any(c.action in (Action.GRANT, Action.REVOKE) for c in plan.changes):
        return plan
    table = table or operations_table()
    held: dict[tuple[str | None, str | None], dict[str | None, frozenset[str]]] = {}
    changes: list[Change] = []
    memo: dict[_Key, _Answer] = {}
    for change in plan.changes:
        if change.action in (Action.GRANT, Action.REVOKE):
            ident = (change.key, change.token_id)
            token = held.get(ident)
            if token is None:
                token = held[ident] = _live_accesses(change.token_id, live)
            change = _measure(change, token, table, memo)
        changes.append(change)
    return replace(plan, changes=tuple(changes))


def _measure(change: Change, token: dict[str | None, frozenset[str]], table: OperationsTable,
             memo: dict[_Key, _Answer]) -> Change:
    # Tokens share access sets: the answer for one (change, held before) pair is
    # reused, and so is the scope's set after it, so the next key hashes at no cost.
    scope = token.get(change.database, _NONE)
    org = token.get(None, _NONE) if change.database else _NONE
    key = (change.action, change.accesses, scope, org, change.database is not None)
    answer = memo.get(key)
    if answer is None:
        answer = memo[key] = _answer(change, token, table)
    token[change.database] = answer[1]
    return _with(change, "allows" if change.action is Action.GRANT else "denies", answer[0])


def _answer(change: Change, token: Mapping[str | None, frozenset[str]],
            table: OperationsTable) -> _Answer:
    # The scope rule: on a database the token can do what it holds there and on the
    # organization; on the organization, what it holds there.
    asked = frozenset(change.accesses)
    scope = token.get(change.database, _NONE)
    org = token.get(None, _NONE) if change.database else _NONE
    touched = table.allowed_by(asked)
    before = table.allowed_by(scope | org)
    if change.action is Action.REVOKE:
        after = table.allowed_by((scope - asked) | org)
        return tuple(sorted((touched & before) - after)), scope - asked
    # Fail closed: what an access the API does not describe may allow counts as
    # opened (who-can lists it as "possibly"), never as nothing.
    for access in asked:
        touched |= possibly_allowed(access, change.database is not None, table)
    return tuple(sorted(touched - before)), scope | asked


def _with(change: Change, name: str, value: tuple[str, ...]) -> Change:
    """`change` with one field set. `dataclasses.replace` runs `__init__` over every
    field, and a plan of 30,000 grants paid for that with about a third of its time;
    a frozen Change has no checks in `__init__` to skip, so its fields are copied."""
    new = object.__new__(Change)
    fields = change.__dict__.copy()
    fields[name] = value
    object.__setattr__(new, "__dict__", fields)
    return new


def _live_accesses(token_id: str | None, live: Mapping[str, LiveToken]
                   ) -> dict[str | None, frozenset[str]]:
    token = live.get(token_id) if token_id is not None else None
    if token is None or token.accesses is None:
        return {}
    return {db: frozenset(names) for db, names in token.accesses.items()}
