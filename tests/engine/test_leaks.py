"""Leaks with plain data: what the audit log says comes in as data, and the plan acts on it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from datetime import datetime, timedelta

import pytest

from pstokens.api.errors import Forbidden, ServerError
from pstokens.api.models import TOKEN_LEAKED, AuditEvent, ServiceToken
from pstokens.engine.planning.plan import Action, Cause, Plan, Retire
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.planning.policy import check_same
from pstokens.engine.reading.leaks import read_leaks
from pstokens.engine.rules.findings import LeakCheck, LeakCheckStatus
from pstokens.engine.rules.guardrails import Rule
from pstokens.errors import StalePlan
from pstokens.notify.events import plan_events
from pstokens.operations import operations_table
from pstokens.render.json import plan_document
from pstokens.render.notice import plan_notices
from pstokens.render.text import render_text
from pstokens.state.model import LeaseRecord, State
from tests.engine.test_apply import NOW, FakeApi, Sink, config, existing, live, run, spec

TABLE = operations_table()

HOUR = 3600


def leaked(*ids: str) -> LeakCheck:
    return LeakCheck(LeakCheckStatus.CHECKED, frozenset(ids))


def plan_with(cfg_specs: list, state: State, api: FakeApi, leaks: LeakCheck,
              **kw: object) -> Plan:
    return make_plan(config(*cfg_specs, **kw), state, live(api), now=NOW, leaks=leaks, table=TABLE)


def one_key(api: FakeApi, **spec_kw: object) -> tuple[list, State]:
    record = existing(api, "old1", "ci")
    return [spec("ci", **spec_kw)], State("acme", "L").with_token("ci", record)


def test_a_leaked_managed_token_is_replaced_at_once_whatever_its_overlap() -> None:
    api = FakeApi()
    specs, state = one_key(api, overlap=HOUR)

    plan = plan_with(specs, state, api, leaked("old1"))

    [replace] = [c for c in plan.changes if c.action is Action.REPLACE]
    assert replace.cause is Cause.LEAKED
    assert replace.retire == Retire("old1", 0)
    assert plan.differs
    text = render_text(plan)
    assert "leaked" in text
    assert "old old1 deleted once the new token is delivered (leaked: no overlap)" in text


def test_apply_deletes_the_leaked_token_in_the_same_apply_despite_overlap() -> None:
    api = FakeApi()
    specs, state = one_key(api, overlap=HOUR)
    plan = plan_with(specs, state, api, leaked("old1"))

    after, seen, _ = run(api, state, plan)

    assert ("delete", "old1") in api.calls
    assert "old1" not in api.tokens
    assert after.tokens["ci"].id == "new1"
    assert after.tokens["ci"].retiring == ()
    deleted = [o for o in seen.outcomes if o.change.action is Action.DELETE]
    assert [o.change.cause for o in deleted] == [Cause.LEAKED]


def test_the_leaked_token_stays_while_its_successor_is_not_delivered() -> None:
    api = FakeApi()
    specs, state = one_key(api)
    plan = plan_with(specs, state, api, leaked("old1"))

    # Its successor reaches one destination of two: the other still holds only old1.
    after, _, _ = run(api, state, plan, sink=Sink(fail_for={"ci"}, places=("a", "b"),
                                                  fail_at=1))

    assert ("delete", "old1") not in api.calls  # its consumers still hold it
    assert "old1" in after.tokens["ci"].retiring
    # The next plan (the leak still in the log) deletes it once a successor is delivered.
    again = make_plan(config(*specs), after, live(api), now=NOW, leaks=leaked("old1"), table=TABLE)
    assert any(c.action is Action.DELETE and c.token_id == "old1" and c.cause is Cause.LEAKED
               for c in again.changes)


def test_a_leaked_retiring_token_is_deleted_now_not_at_its_overlap_end() -> None:
    api = FakeApi()
    record = existing(api, "new1", "ci")
    existing(api, "old1", "ci")
    state = State("acme", "L").with_token("ci", record.__class__(
        **{**record.__dict__, "retiring": ("old1",),
           "retire_at": {"old1": NOW + timedelta(hours=1)}}))

    quiet = plan_with([spec("ci", overlap=HOUR)], state, api, leaked())
    loud = plan_with([spec("ci", overlap=HOUR)], state, api, leaked("old1"))

    assert [r.token_id for r in quiet.retiring] == ["old1"] and not quiet.changes
    assert not loud.retiring
    assert [(c.action, c.token_id, c.cause) for c in loud.changes] == [
        (Action.DELETE, "old1", Cause.LEAKED)]


def test_a_protected_leaked_token_is_reported_as_a_skipped_replacement() -> None:
    api = FakeApi()
    specs, state = one_key(api, prevent_destroy=True)
    state = state.with_token("ci", existing(api, "old1", "ci").__class__(
        id="old1", name="ci", created_at=NOW - timedelta(days=1), prevent_destroy=True))

    plan = plan_with(specs, state, api, leaked("old1"))

    assert not plan.changes
    assert [(s.token_id, s.cause) for s in plan.skipped] == [("old1", Cause.LEAKED)]
    assert plan.differs
    assert "replacement (leaked" in render_text(plan)


@pytest.mark.parametrize(("policy", "deleted"), [("report", False), ("ignore", False),
                                                 ("delete", True)])
def test_a_leaked_unmanaged_token_is_a_violation_deleted_only_under_policy_delete(
    policy: str, deleted: bool
) -> None:
    api = FakeApi()
    api.tokens["hand1"] = ServiceToken(id="hand1", name="by-hand", created_at=NOW)

    plan = plan_with([], State("acme", "L"), api, leaked("hand1"), unmanaged_policy=policy)

    assert [(v.rule, v.token_id, v.key) for v in plan.violations] == [
        (Rule.LEAKED, "hand1", None)]
    assert plan.differs
    assert any(c.token_id == "hand1" for c in plan.changes) is deleted
    assert "by-hand" in render_text(plan) and "reported leaked" in render_text(plan)


def test_a_leaked_token_in_unmanaged_except_is_a_violation_and_never_deleted() -> None:
    api = FakeApi()
    api.tokens["hand1"] = ServiceToken(id="hand1", name="legacy", created_at=NOW)

    plan = plan_with([], State("acme", "L"), api, leaked("hand1"), unmanaged_policy="delete",
                     unmanaged_except=frozenset({"legacy"}))

    assert [v.rule for v in plan.violations] == [Rule.LEAKED]
    assert not plan.changes


def test_a_leaked_lease_is_deleted_at_once_and_forgotten() -> None:
    api = FakeApi()
    name = "ci+lease-abcd1234"
    api.tokens["lease1"] = ServiceToken(id="lease1", name=name, created_at=NOW,
                                        expires_at=NOW + timedelta(minutes=10))
    state = State("acme", "L").with_lease(name, LeaseRecord("ci", NOW + timedelta(minutes=10),
                                                            id="lease1"))

    plan = plan_with([], state, api, leaked("lease1"))

    assert [(c.action, c.key, c.token_id, c.cause) for c in plan.changes] == [
        (Action.DELETE, None, "lease1", Cause.LEAKED)]
    assert not plan.leases and not plan.violations
    assert "(lease)" in render_text(plan)
    after, _, _ = run(api, state, plan)
    assert "lease1" not in api.tokens and not after.leases


def test_leaks_are_not_counted_as_deletes_that_need_force() -> None:
    api = FakeApi()
    state = State("acme", "L")
    specs = []
    for i in range(10):
        state = state.with_token(f"k{i}", existing(api, f"old{i}", f"k{i}"))
        specs.append(spec(f"k{i}"))

    plan = plan_with(specs, state, api, leaked(*(f"old{i}" for i in range(10))))

    assert not plan.unsafe
    assert sum(c.action is Action.REPLACE for c in plan.changes) == 10


def test_a_plan_made_before_a_leak_is_stale_when_applied_after_it() -> None:
    api = FakeApi()
    specs, state = one_key(api)
    saved = Plan.from_json(plan_with(specs, state, api, leaked()).to_json())
    fresh = plan_with(specs, state, api, leaked("old1"))

    with pytest.raises(StalePlan) as caught:
        check_same(saved, fresh)
    assert any((m.change is not None and m.change.cause is Cause.LEAKED)
               or (m.fresh is not None and m.fresh.cause is Cause.LEAKED)
               for m in caught.value.moved)


def test_a_saved_plan_keeps_its_leak_check() -> None:
    api = FakeApi()
    specs, state = one_key(api)
    skipped = LeakCheck(LeakCheckStatus.SKIPPED, detail="403 forbidden")
    for check in (leaked("old1"), skipped):
        plan = plan_with(specs, state, api, check)
        assert Plan.from_json(plan_document(plan)).leak_check == check


def test_without_read_audit_logs_the_plan_notes_once_that_the_check_was_skipped() -> None:
    api = FakeApi()
    specs, state = one_key(api)
    check = LeakCheck(LeakCheckStatus.SKIPPED, detail='list the audit log of "acme": 403')

    plan = plan_with(specs, state, api, check)

    text = render_text(plan)
    assert text.count("leak check skipped") == 1
    assert "read_audit_logs" in text
    assert "No changes" in text and not plan.differs
    assert plan_document(plan)["leak_check"]["status"] == "skipped"


def test_a_failed_check_is_a_warning_and_never_a_false_leak() -> None:
    api = FakeApi()
    specs, state = one_key(api)
    check = LeakCheck(LeakCheckStatus.FAILED, detail="the answer does not look like "
                                                     "PlanetScale's\x1b[2J")

    plan = plan_with(specs, state, api, check)

    text = render_text(plan)
    assert "Warnings:" in text and "leak check failed: the answer does not look like" in text
    assert "\x1b[2J" not in text  # the API's words are escaped
    assert not plan.changes and not plan.differs


def test_the_leaked_notification_names_each_leaked_token() -> None:
    api = FakeApi()
    specs, state = one_key(api)
    api.tokens["hand1"] = ServiceToken(id="hand1", name="by-hand", created_at=NOW)

    plan = plan_with(specs, state, api, leaked("old1", "hand1"))

    assert "leaked" in [str(e) for e in plan_events(plan)]
    [notice] = [n for n in plan_notices(plan) if str(n.event) == "leaked"]
    assert notice.summary == {"leaked": 2}
    assert "key ci (id old1): replaced" in notice.text and "by-hand" in notice.text
    assert not [str(e) for e in plan_events(plan_with(specs, state, api, leaked()))
                if str(e) == "leaked"]


class AuditApi(FakeApi):
    """The fake organization with an audit log, or an error in its place."""

    def __init__(self, events: list[AuditEvent] | None = None,
                 error: Exception | None = None) -> None:
        super().__init__()
        self.events = events or []
        self.error = error
        self.asked: list[tuple[datetime, tuple[str, ...]]] = []

    async def list_audit_log(self, org: str, *, since: datetime,
                             actions: Collection[str] = ()) -> list[AuditEvent]:
        self.asked.append((since, tuple(actions)))
        if self.error is not None:
            raise self.error
        return self.events


def _event(number: int, action: str, target: str | None, age: timedelta) -> AuditEvent:
    return AuditEvent(id=f"e{number}", audit_action=action, target_id=target,
                      created_at=NOW - age)


def test_read_leaks_keeps_only_recent_leak_events_with_a_target() -> None:
    api = AuditApi([
        _event(1, TOKEN_LEAKED, "tok1", timedelta(days=1)),
        _event(2, "service_token.created", "tok2", timedelta(days=1)),
        _event(3, TOKEN_LEAKED, None, timedelta(days=1)),
        _event(4, TOKEN_LEAKED, "tok4", timedelta(days=16)),
    ])

    check = asyncio.run(read_leaks(api, "acme", NOW))

    assert check == LeakCheck(LeakCheckStatus.CHECKED, frozenset({"tok1"}))
    assert api.asked == [(NOW - timedelta(days=15), (TOKEN_LEAKED,))]


@pytest.mark.parametrize(("error", "status"), [
    (Forbidden('list the audit log of "acme": 403 forbidden', status=403),
     LeakCheckStatus.SKIPPED),
    (ServerError("list the audit log: 503", status=503), LeakCheckStatus.FAILED),
])
def test_read_leaks_turns_a_refusal_or_failure_into_a_check_that_says_so(
    error: Exception, status: LeakCheckStatus
) -> None:
    check = asyncio.run(read_leaks(AuditApi(error=error), "acme", NOW))

    assert check.status is status and not check.leaked
    assert check.detail and "audit log" in check.detail


def test_markdown_and_sarif_show_the_note_the_warning_and_the_leaked_violation() -> None:
    from pstokens.render.markdown import render_markdown
    from pstokens.render.sarif import render_plan_sarif

    api = FakeApi()
    api.tokens["hand1"] = ServiceToken(id="hand1", name="by|hand", created_at=NOW)
    cfg = config()
    skipped = make_plan(cfg, State("acme", "L"), live(api), now=NOW,
                        leaks=LeakCheck(LeakCheckStatus.SKIPPED, detail="403 <b>"), table=TABLE)
    failed = make_plan(cfg, State("acme", "L"), live(api), now=NOW,
                       leaks=LeakCheck(LeakCheckStatus.FAILED, detail="503"), table=TABLE)
    found = make_plan(cfg, State("acme", "L"), live(api), now=NOW, leaks=leaked("hand1"),
                      table=TABLE)

    assert "**Note:** leak check skipped" in render_markdown(skipped)
    assert "<b>" not in render_markdown(skipped)
    assert "| leak check failed: 503;" in render_markdown(failed)
    assert "reported leaked" in render_markdown(found)
    results = json.loads(render_plan_sarif(found, cfg))["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("leaked", "error")]


def test_a_protected_leaked_token_of_a_removed_key_is_a_skip_that_says_leaked() -> None:
    api = FakeApi()
    record = existing(api, "old1", "ci")
    state = State("acme", "L").with_token("ci", record.__class__(
        **{**record.__dict__, "prevent_destroy": True}))

    plan = plan_with([], state, api, leaked("old1"))

    assert [(s.token_id, s.cause) for s in plan.skipped] == [("old1", Cause.LEAKED)]
    assert "delete (it is leaked) skipped" in render_text(plan)
    assert "leaked" in [str(e) for e in plan_events(plan)]


def test_a_refused_leak_check_says_nothing_of_the_service_token_accesses() -> None:
    """The second trial: the skipped note ended with the client's generic 403 hint,
    naming accesses the credentials already had."""
    from pstokens.api.errors import Forbidden
    from pstokens.engine.reading.leaks import read_leaks

    class Refusing:
        async def list_audit_log(self, *_args: object, **_options: object) -> list[object]:
            raise Forbidden("403 forbidden", hint="the credentials need read_service_tokens, "
                            "write_service_tokens and delete_service_tokens")

    check = asyncio.run(read_leaks(Refusing(), "acme", NOW))  # type: ignore[arg-type]
    assert check.status is LeakCheckStatus.SKIPPED
    assert "write_service_tokens" not in (check.detail or "")


class SlowAuditApi(AuditApi):
    """The audit log answers only after the token list: the plan is made while it is on
    its way, and must come out as if it had been there first."""

    async def list_audit_log(self, org: str, *, since: datetime,
                             actions: Collection[str] = ()) -> list[AuditEvent]:
        for _ in range(20):
            await asyncio.sleep(0)
        return await super().list_audit_log(org, since=since, actions=actions)


@pytest.mark.parametrize("events", [[], [_event(1, TOKEN_LEAKED, "old1", timedelta(hours=1))]])
def test_a_plan_made_while_the_audit_log_is_read_is_the_plan_made_after_it(
    events: list[AuditEvent]
) -> None:
    from pstokens.engine.planning.planner import PlanOptions
    from pstokens.engine.reading.fresh import fresh_plan

    slow = SlowAuditApi(events)
    specs, state = one_key(slow)
    cfg = config(*specs)

    plan = asyncio.run(fresh_plan(slow, cfg, state, PlanOptions(), table=TABLE, now=NOW))

    check = leaked(*(e.target_id for e in events if e.target_id))
    expected = make_plan(cfg, state, live(slow), now=NOW, leaks=check, table=TABLE)
    assert plan.leak_check == check
    assert plan.changes == expected.changes
    assert [c.cause for c in plan.changes if c.action is Action.REPLACE] == (
        [Cause.LEAKED] if events else [])


class FailingAuditApi(SlowAuditApi):
    """Its audit-log read fails after the list was read."""

    async def list_audit_log(self, org: str, *, since: datetime,
                             actions: Collection[str] = ()) -> list[AuditEvent]:
        await asyncio.sleep(0)
        raise KeyboardInterrupt


def test_the_cycle_collector_is_on_again_after_a_plan_however_it_ends() -> None:
    """A plan turns the collector off while it decodes and plans (a speed measure,
    docs/performance.md); the process gets it back, also after a failure."""
    import gc

    from pstokens.engine.planning.planner import PlanOptions
    from pstokens.engine.reading.fresh import fresh_plan

    for api_type in (SlowAuditApi, FailingAuditApi):
        api = api_type([])
        specs, state = one_key(api)
        try:
            asyncio.run(fresh_plan(api, config(*specs), state, PlanOptions(), table=TABLE,
                                   now=NOW))
        except KeyboardInterrupt:
            assert api_type is FailingAuditApi
        assert gc.isenabled()
    gc.disable()
    try:  # a caller that had it off keeps it off
        api = SlowAuditApi([])
        specs, state = one_key(api)
        asyncio.run(fresh_plan(api, config(*specs), state, PlanOptions(), table=TABLE, now=NOW))
        assert not gc.isenabled()
    finally:
        gc.enable()
