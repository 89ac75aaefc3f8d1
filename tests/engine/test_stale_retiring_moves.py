"""What moved since a saved plan, for a retiring token, in plain data: a delete as
unused that a fresh plan drops because the token was used is the organization's
move (`used_since`); a kept token a fresh plan deletes ran out its wait
(`retire_due`); neither is left to read as an edited plan file."""

from __future__ import annotations

from datetime import UTC, datetime

from pstokens.engine.planning.change import Action, Cause, Change
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.stale import MovedKind, plan_moves
from pstokens.engine.rules.rotation import RetireWait, Retiring

USED = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
DELETE = Change(Action.DELETE, "ci", "old1", name="ci", cause=Cause.NOT_USED)
KEPT = Retiring("ci", "old1", None, 0, RetireWait.UNUSED, 1800, USED, 60, None)


def plan(*changes: Change, retiring: tuple[Retiring, ...] = ()) -> Plan:
    return Plan("acme", "L", 3, changes=changes, retiring=retiring)


def test_a_delete_as_unused_a_fresh_plan_keeps_is_the_tokens_use() -> None:
    [moved] = plan_moves(plan(DELETE), plan(retiring=(KEPT,)))
    assert moved.kind is MovedKind.USED_SINCE
    assert (moved.change, moved.retiring) == (DELETE, KEPT)


def test_a_kept_token_a_fresh_plan_deletes_ran_out_its_wait() -> None:
    [moved] = plan_moves(plan(retiring=(KEPT,)), plan(DELETE))
    assert moved.kind is MovedKind.RETIRE_DUE
    assert (moved.change, moved.retiring) == (DELETE, KEPT)


def test_another_change_gone_stays_a_change_gone() -> None:
    removed = Change(Action.DELETE, "ci", "old1", name="ci", cause=Cause.REMOVED)
    [moved] = plan_moves(plan(removed), plan(retiring=(KEPT,)))
    assert moved.kind is MovedKind.CHANGE_GONE
