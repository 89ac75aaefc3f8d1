"""The plan carries everything apply does: retire, deliver, prevent_destroy; the
applier runs from the plan alone, and a saved plan that moved says what moved."""

from __future__ import annotations

import json
from dataclasses import replace as dc_replace
from pathlib import Path

import pytest

from pstokens.destinations import CommandDestination, DirDestination
from pstokens.engine.planning.plan import FORMAT_VERSION, LAYOUT, Action, Plan, Retire
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.planning.policy import check_same, check_saved
from pstokens.engine.planning.stale import MovedKind, config_data
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import PlanError, StalePlan
from pstokens.operations import operations_table
from pstokens.render import render_markdown, render_text
from pstokens.render.errors import describe
from pstokens.state.model import State
from tests.engine.test_apply import NOW, FakeApi, Sink, config, existing, plan_of, run, spec

TABLE = operations_table()

HOUR = 3600


def _replace_of(overlap: int | None) -> tuple[FakeApi, State, Plan]:
    api = FakeApi()
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    cfg = config(spec("ci", overlap=overlap, accesses={"app": frozenset({"read_branch"})}))
    return api, state, plan_of(cfg, state, api, replace=frozenset({"ci"}))


@pytest.mark.parametrize(("overlap", "seconds"), [(None, 0), (HOUR, HOUR)])
def test_a_replace_says_which_token_it_retires_and_when(overlap: int | None, seconds: int) -> None:
    _, _, plan = _replace_of(overlap)
    [head] = [c for c in plan.changes if c.action is Action.REPLACE]
    assert head.retire == Retire("t1", seconds)
    assert head.to_json()["retire"] == {"token_id": "t1", "overlap_seconds": seconds}


def test_the_text_and_markdown_of_the_two_replacements_differ_and_name_the_old_id() -> None:
    at_once, kept = _replace_of(None)[2], _replace_of(HOUR)[2]
    assert "old t1 deleted once the new token is delivered" in render_text(at_once)
    assert "old t1 kept 1h after the new token is delivered" in render_text(kept)
    assert render_text(at_once) != render_text(kept)
    assert "old t1 kept 1h" in render_markdown(kept)
    assert "old t1 deleted once" in render_markdown(at_once)


def test_creates_carry_deliver_as_the_config_wrote_it_or_null() -> None:
    api = FakeApi()
    own = (CommandDestination("gh secret set X", timeout=30), DirDestination("secrets"))
    cfg = config(spec("ci", deliver=own), spec("other"))
    plan = plan_of(cfg, State("acme", "L"), api)
    by_key = {c.key: c.to_json() for c in plan.changes if c.action is Action.CREATE}
    assert by_key["ci"]["deliver"] == [{"command": "gh secret set X", "timeout": 30},
                                       {"dir": "secrets"}]
    assert by_key["other"]["deliver"] is None
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


def test_the_applier_delivers_where_the_plan_says_and_keeps_what_the_plan_keeps(
    tmp_path: Path,
) -> None:
    # The plan alone decides: a plan made with overlap keeps the old token, and its
    # deliver entries send the secret to their own destination, not the default.
    api, state, plan = _replace_of(HOUR)
    own = (DirDestination(str(tmp_path / "own")),)
    plan = dc_replace(plan, changes=tuple(dc_replace(c, deliver=own) if c.makes_token else c
                                          for c in plan.changes))
    default = Sink()
    final, _, _ = run(api, state, plan, sink=default)
    assert "t1" in api.tokens and final.tokens["ci"].retiring == ("t1",)
    assert default.secrets == {}
    assert (tmp_path / "own" / "acme" / "ci.env").exists()

    api, state, plan = _replace_of(None)
    final, _, _ = run(api, state, plan)
    assert "t1" not in api.tokens and final.tokens["ci"].retiring == ()


def test_a_plan_of_an_older_or_newer_format_is_refused_with_what_to_do() -> None:
    _, _, plan = _replace_of(None)
    data = plan.to_json()
    assert (data["format_version"], data["layout"]) == (FORMAT_VERSION, LAYOUT) == (1, 4)
    for older in (1, LAYOUT - 1):
        with pytest.raises(PlanError, match="older pstokens"):
            Plan.from_json(data | {"layout": older})
    without = {k: v for k, v in data.items() if k != "layout"}
    for older in (1, 2, 3):  # plans before `layout` wrote theirs as format_version
        with pytest.raises(PlanError, match="older pstokens"):
            Plan.from_json(without | {"format_version": older})
    # The previous pstokens' plans (format_version 4, no layout) read as they are.
    assert Plan.from_json(without | {"format_version": 4}) == Plan.from_json(data)
    with pytest.raises(PlanError, match="newer pstokens"):
        Plan.from_json(data | {"layout": LAYOUT + 1})
    with pytest.raises(PlanError, match="newer pstokens"):
        Plan.from_json(data | {"format_version": FORMAT_VERSION + 1})


@pytest.mark.parametrize(("field", "value"), [
    ("key", "\x1b]0;owned\x07"), ("token_id", "../../etc"), ("database", "a b"),
    ("accesses", ["read_branch\n- prod"]),
])
def test_loading_a_plan_checks_every_name_in_it(field: str, value: object) -> None:
    _, _, plan = _replace_of(None)
    data = plan.to_json()
    data["changes"][0][field] = value
    with pytest.raises(PlanError, match="is damaged") as caught:
        Plan.from_json(data)
    assert "\x1b" not in caught.value.message


def test_a_saved_plan_whose_config_changed_names_the_field() -> None:
    api = FakeApi()
    state = State("acme", "L")
    before = config(spec("ci", ttl=90 * 86400, deliver=(DirDestination("a"),)))
    saved = plan_of(before, state, api)
    after = config(spec("ci", ttl=30 * 86400, deliver=(DirDestination("b"),)))
    with pytest.raises(StalePlan) as caught:
        check_saved(dc_replace(saved, config=config_data(before)), after, state)
    text = describe(caught.value)
    assert "tokens.ci.ttl changed from 90d to 30d" in text
    assert "tokens.ci.deliver[0].dir changed from a to b" in text


def test_a_saved_plan_after_an_out_of_band_grant_names_the_key_and_the_access() -> None:
    api = FakeApi()
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    held = {"app": frozenset({"read_branch"})}
    state = State("acme", "L", 1, {"ci": dc_replace(existing(api, "t1", "ci"), accesses=held)})

    def planned(accesses: dict[str | None, frozenset[str]]) -> Plan:
        token = LiveToken("t1", "ci", NOW, None, accesses)
        return make_plan(cfg, state, {"t1": token}, now=NOW, table=TABLE)

    saved = planned(held)
    fresh = planned({"app": frozenset({"read_branch", "connect_branch"})})
    with pytest.raises(StalePlan) as caught:
        check_same(saved, fresh)
    kinds = [m.kind for m in caught.value.moved]  # type: ignore[attr-defined]
    assert MovedKind.DRIFT in kinds
    assert "ci gained connect_branch on app outside pstokens" in describe(caught.value)


def test_a_saved_plan_with_nothing_to_do_names_each_change_a_fresh_plan_makes() -> None:
    api = FakeApi()
    cfg = config(spec("ci"))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    saved = plan_of(cfg, state, api)
    fresh = plan_of(cfg, state, api, replace=frozenset({"ci"}))
    with pytest.raises(StalePlan) as caught:
        check_same(saved, fresh)
    assert "a fresh plan also does: replace ci (id t1)" in describe(caught.value)
