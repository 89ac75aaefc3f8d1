"""Verified rotation with plain data: a new token the API refuses replaces nothing."""

from __future__ import annotations

from pstokens.engine.outcome import Status
from pstokens.engine.plan import Action, Cause
from pstokens.state.model import State
from tests.engine.test_apply import FakeApi, config, existing, plan_of, run, spec


def test_every_new_token_is_verified_with_its_own_credentials_before_the_old_goes() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}), spec("web"))
    state = State("acme", "L", 1, {"ci": record})
    final, _seen, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})))
    assert sorted(api.verified) == ["new1", "new2"]
    assert ("delete", "t1") in api.calls
    assert final.tokens["ci"].verified


def test_a_replacement_whose_new_token_fails_verification_keeps_the_old_one() -> None:
    api = FakeApi(refused={"new1"})
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    state = State("acme", "L", 1, {"ci": record})
    final, seen, store = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})))
    assert ("delete", "t1") not in api.calls and "t1" in api.tokens
    assert not any(c[0] == "grant" for c in api.calls)
    failed = [o for o in seen.outcomes if o.status is Status.FAILED]
    assert len(failed) == 1 and "new1" in (failed[0].error or "")
    assert "verification" in (failed[0].error or "")
    ci = final.tokens["ci"]
    assert (ci.id, ci.verified, ci.retiring) == ("new1", False, ("t1",))
    # On disk before apply went on: a crash now still replaces the unverified token.
    assert any(not s.tokens["ci"].verified for s in store.saved if "ci" in s.tokens)
    again = plan_of(cfg, final, api)
    assert [(c.action, c.token_id, c.cause) for c in again.changes][:1] == [
        (Action.REPLACE, "new1", Cause.UNVERIFIED)
    ]


def test_a_new_key_whose_token_fails_verification_is_replaced_by_the_next_apply() -> None:
    api = FakeApi(refused={"new1"})
    cfg = config(spec("ci"))
    state = State("acme", "L", 1, {})
    final, seen, _ = run(api, state, plan_of(cfg, state, api))
    assert [o.status for o in seen.outcomes] == [Status.FAILED]
    final2, seen2, _ = run(api, final, plan_of(cfg, final, api))
    assert [o.status for o in seen2.outcomes][:1] == [Status.DONE]
    assert final2.tokens["ci"].id == "new2" and final2.tokens["ci"].verified
    assert "new1" not in api.tokens
