"""Stuck rotations: what `apply --force` deletes that no plan deletes by itself.

A replaced token kept by `retire_when_unused` that PlanetScale still sees used
7 days after its successor was delivered is a `rotation_stuck` warning, and
stays retiring: something still holds it. Forced, apply deletes it: the plan
it carries out (and shows first) gains a delete for each, so the applier acts
on plan values alone, and `check_safe` refuses those deletes to anyone not
forcing.
"""

from __future__ import annotations

from dataclasses import replace

from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.engine.rules.findings import WarningKind
from pstokens.engine.rules.rotation import RetireWait


def forced(plan: Plan) -> Plan:
    """`plan` with its stuck retiring tokens deleted (cause `rotation_stuck`), and
    no longer warned about."""
    stuck = [r for r in plan.retiring if r.wait is RetireWait.STUCK]
    if not stuck:
        return plan
    deletes = [Change(Action.DELETE, r.key, r.token_id, name=r.key, cause=Cause.ROTATION_STUCK)
               for r in stuck]
    return replace(plan, changes=Plan.ordered([*plan.changes, *deletes]),
                   retiring=tuple(r for r in plan.retiring if r.wait is not RetireWait.STUCK),
                   warnings=tuple(w for w in plan.warnings
                                  if w.kind is not WarningKind.ROTATION_STUCK))


def deletes_in_use(plan: Plan) -> list[Change]:
    """The plan's deletes of tokens still in use, which only `--force` allows."""
    return [c for c in plan.changes if c.cause is Cause.ROTATION_STUCK]
