"""What moved since a saved plan when only time passed: a leak PlanetScale reported
since (the organization's move), a deadline that came due (expiry, rotate_after).
Neither reads as an edited plan file."""

from __future__ import annotations

from pstokens.engine.planning.change import Action, Cause, Change
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.stale import MovedKind, plan_moves
from pstokens.engine.rules.findings import LeakCheck, LeakCheckStatus
from pstokens.errors import StalePlan
from pstokens.render.stale import stale_text


def plan(*changes: Change, leaked: frozenset[str] = frozenset()) -> Plan:
    return Plan("acme", "L", 3, changes=changes,
                leak_check=LeakCheck(LeakCheckStatus.CHECKED, leaked))


def test_a_leak_reported_since_the_plan_is_the_organizations_move() -> None:
    replace = Change(Action.REPLACE, "ci", "t1", name="ci", cause=Cause.LEAKED)
    moved = plan_moves(plan(), plan(replace, leaked=frozenset({"t1"})))
    assert [m.kind for m in moved] == [MovedKind.LEAKED_SINCE, MovedKind.CHANGE_ADDED]
    text = stale_text(StalePlan("stale", moved=moved))
    assert "the organization changed since it was made" in text
    assert "PlanetScale reported token t1 leaked since the plan was made" in text
    assert "edited" not in text


def test_a_rotation_that_came_due_since_the_plan_is_a_deadline() -> None:
    replace = Change(Action.REPLACE, "ci", "t1", name="ci", cause=Cause.ROTATE_AFTER)
    [moved] = plan_moves(plan(), plan(replace))
    assert moved.kind is MovedKind.DUE_SINCE
    text = stale_text(StalePlan("stale", moved=[moved]))
    assert text.startswith("saved plan is stale: a deadline came due since it was made:")
    assert "replace ci (id t1)" in text and "edited" not in text
