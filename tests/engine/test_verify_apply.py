"""Verified rotation with plain data: a new token the API refuses replaces nothing.

PRODUCT.md "Rotation", step 3: one call as the new token, the plan's GET, after
every grant and before any delivery; 401 and 403 are asked again for up to 30 s
(a fake clock: no real waiting); an unverified token is deleted in the same
apply and the token it replaces stays exactly as it was.
"""

from __future__ import annotations

from pstokens.engine.applying.verify import PATIENCE
from pstokens.engine.planning.outcome import Status
from pstokens.engine.planning.plan import Action
from pstokens.state.model import State
from tests.engine.test_apply import (
    FakeApi,
    FakeTime,
    Sink,
    config,
    existing,
    plan_of,
    run,
    spec,
)

BRANCHES = "/v1/organizations/{organization}/databases/{database}/branches"


def test_every_new_token_is_verified_with_its_own_credentials_before_the_old_goes() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}), spec("web"))
    state = State("acme", "L", 1, {"ci": record})
    final, _seen, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})))
    assert sorted(api.checks) == [("new1", BRANCHES, "app"), ("new2", "/v1/organizations", None)]
    assert ("delete", "t1") in api.calls
    assert final.tokens["ci"].verified


def test_a_token_is_delivered_only_after_all_its_grants_and_its_verification() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    accesses = {"app": frozenset({"read_branch"}), "web": frozenset({"create_branch"}),
                None: frozenset({"read_organization"})}
    cfg = config(spec("ci", accesses=accesses))
    state = State("acme", "L", 1, {"ci": record})
    sink = Sink(api=api)
    final, seen, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})),
                         sink=sink)
    assert sink.access_at_delivery["new1"] == accesses  # every grant was in place
    assert [c[0] for c in api.calls] == ["create", "grant", "grant", "grant", "delete"]
    assert api.checks == [("new1", BRANCHES, "app")]
    assert [o.change.action for o in seen.outcomes][-2:] == [Action.REPLACE, Action.DELETE]
    assert final.tokens["ci"].held_by == {"new1": ("memory",)}


def test_403_while_a_grant_settles_is_asked_again_without_waiting_in_real_time() -> None:
    api = FakeApi(forbidden={"new1": 3})
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    time = FakeTime()
    final, seen, _ = run(api, State("acme", "L"), plan_of(cfg, State("acme", "L"), api),
                         time=time)
    assert api.verified == ["new1"] * 4
    assert len(time.pauses) == 3 and sum(time.pauses) < PATIENCE
    assert [o.status for o in seen.outcomes] == [Status.DONE, Status.DONE]
    assert final.tokens["ci"].delivered


def test_a_refusal_lasting_30_seconds_makes_the_token_unverified() -> None:
    api = FakeApi(forbidden={"new1": 1000})
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    state = State("acme", "L", 1, {"ci": record})
    time = FakeTime()
    sink = Sink()
    final, seen, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})),
                         time=time, sink=sink)
    assert sum(time.pauses) <= PATIENCE and time.now > PATIENCE - 5
    assert sink.secrets == {}
    (replaced,) = [o for o in seen.outcomes if o.change.action is Action.REPLACE]
    assert replaced.status is Status.UNVERIFIED and replaced.rolled_back
    assert "new1 failed verification by list_branches on app" in (replaced.error or "")
    assert final.tokens["ci"] == record


def test_a_replacement_whose_new_token_fails_verification_keeps_the_old_one() -> None:
    api = FakeApi(refused={"new1"})
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    state = State("acme", "L", 1, {"ci": record})
    sink = Sink()
    final, seen, store = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})),
                             sink=sink)
    assert api.calls == [("create", "ci"), ("grant", "new1", "app", "read_branch"),
                         ("delete", "new1")]
    assert "t1" in api.tokens and sink.secrets == {}
    failed = [o for o in seen.outcomes if o.failed]
    assert len(failed) == 1 and "new1" in (failed[0].error or "")
    assert "failed verification" in (failed[0].error or "")
    assert final.tokens["ci"] == record
    # On disk before the delete: a crash then still replaces the unverified token.
    assert any(not s.tokens["ci"].verified for s in store.saved if "ci" in s.tokens)
    assert not any(c.makes_token or c.token_id == "new1" for c in plan_of(cfg, final, api).changes)


def test_a_new_key_whose_token_fails_verification_leaves_nothing_behind() -> None:
    api = FakeApi(refused={"new1"})
    cfg = config(spec("ci"))
    state = State("acme", "L", 1, {})
    final, seen, _ = run(api, state, plan_of(cfg, state, api))
    assert [o.status for o in seen.outcomes] == [Status.UNVERIFIED]
    assert "ci" not in final.tokens and api.tokens == {}
    final2, seen2, _ = run(api, final, plan_of(cfg, final, api))
    assert [o.status for o in seen2.outcomes] == [Status.DONE]
    assert final2.tokens["ci"].id == "new2" and final2.tokens["ci"].verified
