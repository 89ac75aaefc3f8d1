"""The applier with overlap, over plain data: old tokens retire, never vanish early."""

from __future__ import annotations

from dataclasses import replace as dc_replace
from datetime import timedelta

import pytest

from pstokens.engine.planning.outcome import Blocked, Status
from pstokens.engine.planning.plan import Action, Cause
from pstokens.state.model import State
from tests.engine.test_apply import NOW, FakeApi, Sink, config, existing, plan_of, run, spec

HOUR = 3600


def test_a_replacement_with_overlap_keeps_the_old_token_and_records_when_it_retires() -> None:
    api = FakeApi()
    cfg = config(spec("ci", overlap=HOUR))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    plan = plan_of(cfg, state, api, replace=frozenset({"ci"}))
    final, seen, store = run(api, state, plan)

    assert [c[0] for c in api.calls] == ["create"]  # no delete
    record = final.tokens["ci"]
    assert (record.id, record.retiring) == ("new1", ("t1",))
    assert record.retire_at == {"t1": NOW + timedelta(hours=1)}
    # retire_at reached the disk with `delivered`, in one write
    assert any(s.tokens["ci"].delivered and s.tokens["ci"].retire_at for s in store.saved)
    [kept] = [o for o in seen.outcomes if o.blocked is Blocked.OVERLAP]
    assert (kept.status, kept.change.token_id) == (Status.SKIPPED, "t1")

    inside = plan_of(cfg, final, api)
    assert inside.changes == () and [r.token_id for r in inside.retiring] == ["t1"]


def test_a_second_replacement_inside_the_overlap_keeps_both_old_tokens() -> None:
    api = FakeApi()
    cfg = config(spec("ci", overlap=HOUR))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    first, _, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})))
    second, _, _ = run(api, first, plan_of(cfg, first, api, replace=frozenset({"ci"})))
    record = second.tokens["ci"]
    assert record.id == "new2" and set(record.retiring) == {"t1", "new1"}
    assert set(api.tokens) == {"t1", "new1", "new2"}


def test_a_failed_delivery_never_starts_an_overlap() -> None:
    api = FakeApi()
    cfg = config(spec("ci", overlap=HOUR))
    record = existing(api, "t1", "ci")
    state = State("acme", "L", 1, {"ci": record})
    final, _, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})),
                      sink=Sink(fail_for={"ci"}))
    assert final.tokens["ci"] == record and set(api.tokens) == {"t1"}


def test_a_partly_delivered_token_starts_no_overlap_and_is_retired_with_the_old() -> None:
    api = FakeApi()
    cfg = config(spec("ci", overlap=HOUR))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    final, _, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})),
                      sink=Sink(fail_for={"ci"}, places=("a", "b"), fail_at=1))
    record = final.tokens["ci"]
    assert (record.delivered, record.retiring, record.retire_at) == (False, ("t1",), {})
    nxt = plan_of(cfg, final, api)  # replaces the partly delivered one; t1 waits for that
    assert [r.token_id for r in nxt.retiring] == ["t1"] and nxt.retiring[0].retire_at is None
    done, _, _ = run(api, final, nxt, sink=Sink(places=("a", "b")))
    assert done.tokens["ci"].retire_at == {"t1": NOW + timedelta(hours=1),
                                           "new1": NOW + timedelta(hours=1)}
    assert {"t1", "new1", "new2"} <= set(api.tokens)


@pytest.mark.parametrize("cause", [Cause.ROTATE_AFTER, Cause.EXPIRED, Cause.UNDELIVERED,
                                   Cause.FORCED, Cause.TTL_CHANGED])
def test_every_kind_of_replacement_goes_through_the_overlap(cause: Cause) -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    ttl = 7 * 86400 if cause is Cause.TTL_CHANGED else None
    rotate = HOUR if cause is Cause.ROTATE_AFTER else None
    if cause is Cause.EXPIRED:
        api.tokens["t1"] = api.tokens["t1"].model_copy(
            update={"expires_at": NOW - timedelta(minutes=1)})
    if cause is Cause.UNDELIVERED:
        record = dc_replace(record, delivered=False)
    cfg = config(spec("ci", overlap=HOUR, ttl=ttl, rotate_after=rotate))
    state = State("acme", "L", 1, {"ci": record})
    forced = frozenset({"ci"}) if cause is Cause.FORCED else frozenset()
    plan = plan_of(cfg, state, api, replace=forced)
    assert [(c.action, c.cause) for c in plan.changes] == [(Action.REPLACE, cause)]
    final, _, _ = run(api, state, plan)
    assert "t1" in api.tokens and final.tokens["ci"].retire_at == {"t1": NOW + timedelta(hours=1)}
