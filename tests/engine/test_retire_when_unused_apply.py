"""The applier with `retire_when_unused`, over plain data: the replacing apply never
deletes the old token, a later one does once PlanetScale saw it go quiet, and a
stuck one goes only when forced."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pstokens.api.errors import ServerError
from pstokens.config.model import Config
from pstokens.engine.planning.outcome import Blocked, Status
from pstokens.engine.planning.plan import Action, Cause, Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.stuck import forced
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import UnsafePlan
from pstokens.operations import operations_table
from pstokens.state.model import State
from tests.engine.test_apply import NOW, FakeApi, Sink, config, existing, run, spec

TABLE = operations_table()

QUIET = 1800


def used(api: FakeApi, token_id: str, at: datetime | None) -> None:
    api.tokens[token_id] = api.tokens[token_id].model_copy(update={"last_used_at": at})


def plan_at(cfg: Config, state: State, api: FakeApi, now: datetime = NOW,
            replace: frozenset[str] = frozenset()) -> Plan:
    live = {t.id: LiveToken(t.id, t.name, t.created_at, t.expires_at, {},
                            last_used_at=t.last_used_at) for t in api.tokens.values()}
    return make_plan(cfg, state, live, now=now, options=PlanOptions(replace=replace), table=TABLE)


def replaced(api: FakeApi, cfg: Config) -> State:
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    final, _, _ = run(api, state, plan_at(cfg, state, api, replace=frozenset({"ci"})))
    return final


def test_the_replacing_apply_keeps_the_old_token_and_records_when_its_successor_arrived() -> None:
    api = FakeApi()
    cfg = config(spec("ci", retire_when_unused=QUIET))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    final, seen, store = run(api, state, plan_at(cfg, state, api, replace=frozenset({"ci"})))

    assert [c[0] for c in api.calls] == ["create"]  # no delete
    record = final.tokens["ci"]
    assert (record.id, record.retiring, record.retire_at) == ("new1", ("t1",), {})
    assert record.successor_delivered_at == {"t1": NOW}
    assert any(s.tokens["ci"].delivered and s.tokens["ci"].successor_delivered_at
               for s in store.saved)  # on disk with `delivered`, in one write
    [kept] = [o for o in seen.outcomes if o.blocked is Blocked.UNTIL_UNUSED]
    assert (kept.status, kept.change.token_id) == (Status.SKIPPED, "t1")


def test_a_consumer_still_using_the_old_token_keeps_it_until_it_goes_quiet() -> None:
    api = FakeApi()
    cfg = config(spec("ci", retire_when_unused=QUIET))
    state = replaced(api, cfg)
    later = NOW + timedelta(hours=3)

    used(api, "t1", later - timedelta(minutes=4))
    p = plan_at(cfg, state, api, now=later)
    assert p.changes == () and [r.token_id for r in p.retiring] == ["t1"]

    used(api, "t1", later - timedelta(minutes=31))
    p = plan_at(cfg, state, api, now=later)
    assert [(c.action, c.token_id, c.cause) for c in p.changes] == [
        (Action.DELETE, "t1", Cause.NOT_USED)]
    final, _, _ = run(api, state, p)
    assert "t1" not in api.tokens
    record = final.tokens["ci"]
    assert (record.id, record.retiring) == ("new1", ())
    assert "successor_delivered_at" not in record.to_json()


def test_a_second_replacement_keeps_the_first_successors_delivery_time() -> None:
    api = FakeApi()
    cfg = config(spec("ci", retire_when_unused=QUIET))
    first = replaced(api, cfg)
    second, _, _ = run(api, first, plan_at(cfg, first, api, replace=frozenset({"ci"})))
    record = second.tokens["ci"]
    assert record.id == "new2" and set(record.retiring) == {"t1", "new1"}
    assert record.successor_delivered_at == {"t1": NOW, "new1": NOW}
    assert {"t1", "new1", "new2"} <= set(api.tokens)


def test_a_partial_delivery_starts_no_wait_and_keeps_the_old_token() -> None:
    api = FakeApi()
    cfg = config(spec("ci", retire_when_unused=QUIET))
    state = State("acme", "L", 1, {"ci": existing(api, "t1", "ci")})
    final, _, _ = run(api, state, plan_at(cfg, state, api, replace=frozenset({"ci"})),
                      sink=Sink(fail_for={"ci"}, places=("a", "b"), fail_at=1))
    record = final.tokens["ci"]
    assert (record.delivered, record.retiring, record.successor_delivered_at) == (
        False, ("t1",), {})
    later = plan_at(cfg, final, api, now=NOW + timedelta(days=30))  # never used, long after
    assert "t1" in [r.token_id for r in later.retiring]
    assert not [c for c in later.changes if c.token_id == "t1"]


def test_an_unused_old_token_stays_while_the_keys_new_replacement_fails() -> None:
    api = FakeApi()
    cfg = config(spec("ci", retire_when_unused=QUIET))
    state = replaced(api, cfg)
    p = plan_at(cfg, state, api, now=NOW + timedelta(hours=1), replace=frozenset({"ci"}))
    assert (Action.DELETE, "t1", Cause.NOT_USED) in [(c.action, c.token_id, c.cause)
                                                     for c in p.changes]
    api.fail["create"] = ServerError("down", status=503)
    run(api, state, p)
    assert "t1" in api.tokens  # its key has no new token ready: the old ones may be in use


def test_a_stuck_rotation_is_deleted_only_by_a_forced_apply() -> None:
    api = FakeApi()
    cfg = config(spec("ci", retire_when_unused=QUIET))
    state = replaced(api, cfg)
    later = NOW + timedelta(days=8)
    used(api, "t1", later - timedelta(minutes=4))
    p = plan_at(cfg, state, api, now=later)
    assert p.changes == ()

    with pytest.raises(UnsafePlan):
        run(api, state, forced(p))  # an applier never deletes it unforced, whoever asks
    assert "t1" in api.tokens
    final, seen, _ = run(api, state, forced(p), force=True)
    assert "t1" not in api.tokens
    assert [(o.change.cause, o.status) for o in seen.outcomes] == [
        (Cause.ROTATION_STUCK, Status.DONE)]
    assert final.tokens["ci"].retiring == ()
