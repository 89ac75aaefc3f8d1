"""Plan-time destinations, as plain data: the planner resolves where every new
secret goes, the plan's JSON carries it (and `stdin:`), a saved plan is checked
against a fresh plan made with its own destinations, and the Workspace refuses
new destinations for a saved plan before it locks or calls anything."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace as dc_replace
from pathlib import Path

import pytest

from pstokens.destinations import CommandDestination, DirDestination
from pstokens.engine.planning.plan import Action, Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.policy import check_same, saved_options
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.run import DEFAULT_DELIVER, Workspace
from pstokens.errors import PlanError, PstokensError, StalePlan
from pstokens.operations import operations_table
from pstokens.render import render_text
from pstokens.state import FileStateStore
from pstokens.state.model import State
from tests.engine.test_apply import NOW, FakeApi, config, live, spec

TABLE = operations_table()

FLAG = (CommandDestination("vault kv put secret/x -", stdin="json"),)


def _plan(default: tuple[CommandDestination | DirDestination, ...] | None) -> Plan:
    own = (DirDestination("own"),)
    cfg = config(spec("ci"), spec("other", deliver=own))
    return make_plan(cfg, State("acme", "L"), live(FakeApi()), now=NOW,
                     options=PlanOptions(default_deliver=default), table=TABLE)


def test_every_new_token_carries_its_resolved_destinations() -> None:
    plan = _plan(FLAG)
    by_key = {c.key: c.deliver for c in plan.changes if c.makes_token}
    assert by_key == {"ci": FLAG, "other": (DirDestination("own"),)}
    assert plan.default_deliver == FLAG
    assert plan.deliveries() == by_key
    assert 'secret to command "vault kv put secret/x -" (stdin: json)' in render_text(plan)


def test_the_json_round_trip_keeps_destinations_and_stdin() -> None:
    plan = _plan(FLAG)
    data = json.loads(json.dumps(plan.to_json()))
    assert data["default_deliver"] == [{"command": "vault kv put secret/x -", "stdin": "json"}]
    [ci] = [c for c in data["changes"] if c["key"] == "ci" and c["action"] == "create"]
    assert ci["deliver"] == data["default_deliver"]
    assert Plan.from_json(data) == plan
    assert Plan.from_json(data).default_deliver == FLAG


def test_a_plan_without_default_deliver_still_loads() -> None:
    """A library caller's plan (its own sink decides) records none."""
    plan = _plan(None)
    data = plan.to_json()
    assert data["default_deliver"] is None
    assert [c.deliver for c in plan.changes if c.key == "ci" and c.makes_token] == [None]
    del data["default_deliver"]
    assert Plan.from_json(data).default_deliver is None


@pytest.mark.parametrize("bad", [
    [], {"dir": "a"}, [{"dir": "a", "stdin": "env"}], [{"command": "cat", "stdin": "yaml"}],
    [{"command": "cat", "timeout": True}], [{"command": 3}], [{"timeout": 3}],
])
def test_malformed_destinations_make_a_damaged_plan(bad: object) -> None:
    data = _plan(FLAG).to_json()
    with pytest.raises(PlanError, match="is damaged"):
        Plan.from_json(data | {"default_deliver": bad})
    data = _plan(FLAG).to_json()
    data["changes"][0]["deliver"] = bad
    with pytest.raises(PlanError, match="is damaged"):
        Plan.from_json(data)


def test_a_saved_plan_is_rechecked_with_its_own_destinations() -> None:
    saved = Plan.from_json(json.loads(json.dumps(_plan(FLAG).to_json())))
    assert saved_options(saved).default_deliver == FLAG
    cfg = config(spec("ci"), spec("other", deliver=(DirDestination("own"),)))
    fresh = make_plan(cfg, State("acme", "L"), live(FakeApi()), now=NOW,
                      options=saved_options(saved), table=TABLE)
    check_same(saved, fresh)  # the same destinations: it holds

    edited = dc_replace(saved, changes=tuple(
        dc_replace(c, deliver=(DirDestination("elsewhere"),)) if c.makes_token else c
        for c in saved.changes))
    with pytest.raises(StalePlan):
        check_same(edited, fresh)


def _workspace(tmp_path: Path, calls: list[str]) -> Workspace:
    @asynccontextmanager
    async def connect() -> AsyncIterator[TokenApi]:
        calls.append("connect")
        yield FakeApi()

    cfg = config(spec("ci"))
    return Workspace("acme", FileStateStore(tmp_path / "state.json"), connect, config=cfg)


async def test_the_workspace_refuses_new_destinations_for_a_saved_plan_before_anything(
    tmp_path: Path,
) -> None:
    calls: list[str] = []
    workspace = _workspace(tmp_path, calls)
    saved = await workspace.plan()
    assert saved.default_deliver == DEFAULT_DELIVER  # resolved when nothing says
    calls.clear()
    with pytest.raises(PstokensError) as caught:
        await workspace.apply(PlanOptions(default_deliver=(DirDestination("x"),)), saved=saved)
    assert caught.value.message.startswith("--secrets-dir and --secrets-command are for fresh "
                                           "plans")
    assert caught.value.hint is not None
    assert calls == []
    assert not (tmp_path / "state.json").exists()


async def test_a_fresh_apply_resolves_the_default_folder(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    workspace = _workspace(tmp_path, [])
    plan, result = await workspace.apply()
    assert result is not None and not result.errors
    [create] = [c for c in plan.changes if c.action is Action.CREATE]
    assert create.deliver == DEFAULT_DELIVER
    assert (tmp_path / ".pstokens" / "secrets" / "acme" / "ci.env").exists()
