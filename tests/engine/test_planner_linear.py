"""The planner's work grows with the plan, not with its square.

Counted in Python lines run inside the planner (a tracer, not a clock), so the
test says the same on a loaded machine as on an idle one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import pstokens.engine.planning.planner as planner_module
from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.engine.planning.plan import Action, Plan
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.operations import operations_table
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ACCESSES: AccessMap = {None: frozenset({"read_databases"}), "app": frozenset({"read_branch"})}
DRIFTED: AccessMap = {None: frozenset({"read_databases"}), "app": frozenset({"create_branch"})}


def _org(count: int, *, rotate: bool) -> tuple[Config, State, dict[str, LiveToken]]:
    """`count` managed tokens: all due for rotate_after, or every other one drifted."""
    created = NOW - timedelta(days=30)
    keys = [f"tok-{i:05d}" for i in range(count)]
    rotate_after = 7 * 86400 if rotate else None
    config = Config("acme", {k: TokenSpec(k, ACCESSES, rotate_after=rotate_after) for k in keys})
    records = {k: TokenRecord(f"id{i:08d}", k, created_at=created, accesses=ACCESSES)
               for i, k in enumerate(keys)}
    live = {f"id{i:08d}": LiveToken(f"id{i:08d}", k, created, None,
                                    DRIFTED if i % 2 and not rotate else ACCESSES)
            for i, k in enumerate(keys)}
    return config, State("acme", "L", 1, records), live


def _lines_run(make: Callable[[], Plan]) -> tuple[int, Plan]:
    """Python lines executed in engine/planning/planner.py while `make` runs."""
    count = 0
    target = planner_module.__file__

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def outer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == target else None

    previous = sys.gettrace()
    sys.settrace(outer)
    try:
        made = make()
    finally:
        sys.settrace(previous)
    return count, made


def _growth(count: int, *, rotate: bool) -> float:
    small, _ = _lines_run(lambda: make_plan(*_org(count, rotate=rotate), now=NOW, table=TABLE))
    large, made = _lines_run(lambda: make_plan(*_org(4 * count, rotate=rotate), now=NOW,
                                               table=TABLE))
    if rotate:
        assert sum(c.action is Action.REPLACE for c in made.changes) == 4 * count
    else:
        assert sum(c.action is Action.REVOKE for c in made.changes) == 2 * count
    return large / small


def test_mass_replacement_costs_linear_work() -> None:
    # Four times the replacements: about four times the work (sixteen if quadratic).
    assert _growth(100, rotate=True) < 5


def test_half_drifted_organization_costs_linear_work() -> None:
    assert _growth(100, rotate=False) < 5
