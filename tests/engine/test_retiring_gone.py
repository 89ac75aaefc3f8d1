"""A retiring token deleted outside pstokens: drift in the plan, and state forgets it."""

from __future__ import annotations

from pstokens.engine.planning.plan import Action, Cause
from pstokens.engine.rules.findings import DriftKind
from pstokens.render.text import render_text
from pstokens.state.model import State
from tests.engine.test_apply import FakeApi, config, existing, plan_of, run, spec

HOUR = 3600


def test_a_retiring_token_deleted_outside_is_drift_and_leaves_state() -> None:
    api = FakeApi()
    cfg = config(spec("ci", overlap=HOUR))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    replaced, _, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})))
    assert replaced.tokens["ci"].retiring == ("t1",)
    del api.tokens["t1"]  # deleted by hand, inside its overlap

    plan = plan_of(cfg, replaced, api)
    assert [(d.key, d.token_id, d.kind) for d in plan.drift] == [("ci", "t1", DriftKind.DELETED)]
    assert [(c.action, c.token_id, c.cause) for c in plan.changes] == [
        (Action.DELETE, "t1", Cause.RETIRING_GONE)]
    assert plan.retiring == ()
    assert plan.summary()["delete"] == 0 and plan.summary()["update_state"] == 1
    assert "No changes" not in render_text(plan)

    api.calls.clear()
    cleaned, _, _ = run(api, replaced, plan)
    assert api.calls == []  # nothing to delete: only state changes
    assert cleaned.tokens["ci"].retiring == () and cleaned.tokens["ci"].retire_at == {}
    assert cleaned.tokens["ci"].id == replaced.tokens["ci"].id
    assert plan_of(cfg, cleaned, api).changes == ()
