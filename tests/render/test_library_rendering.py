"""The library's edges a Python caller meets first: `render_text` is plain unless
asked for colour, and `PlanOptions` never reads a lone key as its characters."""

from __future__ import annotations

import pytest

from pstokens import DirDestination, Plan, PlanOptions, UsageError, render_text
from pstokens.engine.planning.planner import make_plan
from pstokens.render.text import styled_text
from pstokens.state.model import State
from tests.engine.test_apply import NOW as AT
from tests.engine.test_apply import TABLE, FakeApi, config, live, spec


def a_plan() -> Plan:
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    return make_plan(cfg, State("acme", "L"), live(FakeApi()), now=AT, table=TABLE)


def test_render_text_is_plain_unless_colour_is_asked_for() -> None:
    plan = a_plan()
    plain = render_text(plan)
    assert "+ ci" in plain and "\x1b[" not in plain
    coloured = render_text(plan, color=True)
    assert "\x1b[" in coloured and coloured == styled_text(plan)


@pytest.mark.parametrize("field", ["targets", "replace"])
def test_plan_options_refuse_a_lone_key_rather_than_split_it(field: str) -> None:
    with pytest.raises(UsageError, match=f"{field} must be a collection") as caught:
        PlanOptions(**{field: "ci-deploy"})  # type: ignore[arg-type]
    assert f"{field}=frozenset({{'ci-deploy'}})" in (caught.value.hint or "")
    taken = PlanOptions(**{field: ["ci-deploy"]})  # type: ignore[arg-type]
    assert getattr(taken, field) == frozenset({"ci-deploy"})


@pytest.mark.parametrize("given", ["out", ["out"], (DirDestination("out"), "x")])
def test_default_deliver_must_hold_destinations(given: object) -> None:
    with pytest.raises(UsageError, match="default_deliver must be a collection of destinations"):
        PlanOptions(default_deliver=given)  # type: ignore[arg-type]
    assert PlanOptions(default_deliver=[DirDestination("out")]).default_deliver == (
        DirDestination("out"),)  # type: ignore[arg-type]
