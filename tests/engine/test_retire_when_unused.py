"""Retirement on evidence, planned over plain data: `retire_when_unused`.

A replaced token of a key with `retire_when_unused: 30m` goes only once its
overlap (if any) has passed and PlanetScale has not seen it used for 30m: its
`last_used_at` is more than 30m ago, or null and its successor was delivered
more than 30m ago. Until then it is retiring, not a difference; still in use 7
days after its successor was delivered, it is a `rotation_stuck` warning.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click
import pytest

from pstokens.config.model import Config, NotifyEvent, TokenSpec
from pstokens.engine.planning.converge import unused_for
from pstokens.engine.planning.plan import Action, Cause, Plan, Retire
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.policy import check_safe
from pstokens.engine.planning.stuck import forced
from pstokens.engine.rules.findings import PlanWarning, WarningKind
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.rotation import RetireWait
from pstokens.errors import UnsafePlan
from pstokens.notify.events import plan_events
from pstokens.operations import operations_table
from pstokens.render import render_json, render_markdown, render_text
from pstokens.render.notice import plan_notices
from pstokens.render.sarif import render_plan_sarif
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HALF_HOUR = 1800
QUIET = TokenSpec("ci", retire_when_unused=HALF_HOUR)
BOTH = TokenSpec("ci", overlap=3600, retire_when_unused=HALF_HOUR)


def cfg(*specs: TokenSpec) -> Config:
    return Config(organization="acme", tokens={s.key: s for s in specs})


def st(record: TokenRecord) -> State:
    return State(organization="acme", lineage="L", serial=1, tokens={"ci": record})


def token(token_id: str, *, used: datetime | None = None) -> LiveToken:
    return LiveToken(token_id, "ci", NOW - timedelta(days=30), None, {}, last_used_at=used)


def retiring(*, delivered: datetime | None, overlap_end: datetime | None = None,
             successor_delivered: bool = True) -> TokenRecord:
    """Key `ci` now holds `new`; `old` was replaced, its successor delivered at `delivered`."""
    return TokenRecord(
        id="new", name="ci", created_at=NOW - timedelta(days=8), delivered=successor_delivered,
        retiring=("old",), retire_at={} if overlap_end is None else {"old": overlap_end},
        successor_delivered_at={} if delivered is None else {"old": delivered},
    )


def plan(config: Config, record: TokenRecord, *, used: datetime | None,
         replace: frozenset[str] = frozenset()) -> Plan:
    live = {"new": token("new", used=NOW), "old": token("old", used=used)}
    return make_plan(config, st(record), live, now=NOW, options=PlanOptions(replace=replace),
                     table=TABLE)


def changes(p: Plan) -> list[tuple[Action, str | None, Cause | None]]:
    return [(c.action, c.token_id, c.cause) for c in p.changes]


def test_inside_the_overlap_it_waits_for_the_overlap_even_when_unused() -> None:
    record = retiring(delivered=NOW - timedelta(days=1), overlap_end=NOW + timedelta(minutes=5))
    p = plan(cfg(BOTH), record, used=None)
    assert p.changes == ()
    [kept] = p.retiring
    assert (kept.token_id, kept.wait) == ("old", RetireWait.OVERLAP)
    assert "then deleted once unused for 30m" in click.unstyle(render_text(p))


def test_a_token_used_4_minutes_ago_is_still_in_use_and_not_a_difference() -> None:
    record = retiring(delivered=NOW - timedelta(hours=2), overlap_end=NOW - timedelta(hours=1))
    p = plan(cfg(BOTH), record, used=NOW - timedelta(minutes=4))
    assert p.changes == () and p.warnings == ()
    [kept] = p.retiring
    assert (kept.wait, kept.idle_seconds, kept.retire_when_unused) == (
        RetireWait.UNUSED, 240, HALF_HOUR)
    assert not p.differs  # --detailed-exitcode exits 0 for it alone
    text = click.unstyle(render_text(p))
    assert ("  ci  id old  retiring: still in use (last used 4m ago); deleted once unused "
            "for 30m") in text
    assert text.endswith("No changes. The organization matches the configuration.")
    assert "still in use (last used 4m ago)" in render_markdown(p)
    [shown] = json.loads(render_json(p))["retiring"]
    assert (shown["wait"], shown["idle_seconds"], shown["retire_when_unused_seconds"]) == (
        "unused", 240, HALF_HOUR)
    assert Plan.from_json(p.to_json()).retiring == p.retiring


def test_a_token_used_just_within_the_quiet_period_stays() -> None:
    record = retiring(delivered=NOW - timedelta(hours=2))
    p = plan(cfg(QUIET), record, used=NOW - timedelta(seconds=HALF_HOUR))
    assert p.changes == () and p.retiring[0].wait is RetireWait.UNUSED


def test_a_token_last_used_more_than_the_quiet_period_ago_is_deleted() -> None:
    record = retiring(delivered=NOW - timedelta(hours=2))
    p = plan(cfg(QUIET), record, used=NOW - timedelta(minutes=31))
    assert changes(p) == [(Action.DELETE, "old", Cause.NOT_USED)]
    assert p.retiring == () and p.differs
    assert "has not seen it used for retire_when_unused" in click.unstyle(render_text(p))


def test_never_used_and_successor_delivered_recently_waits() -> None:
    record = retiring(delivered=NOW - timedelta(minutes=10))
    p = plan(cfg(QUIET), record, used=None)
    assert p.changes == ()
    [kept] = p.retiring
    assert (kept.wait, kept.idle_seconds) == (RetireWait.UNUSED, None)
    assert kept.successor_delivered_at == NOW - timedelta(minutes=10)
    assert ("retiring: never used; deleted once its successor has been delivered for 30m"
            in click.unstyle(render_text(p)))


def test_never_used_and_successor_delivered_long_ago_is_deleted() -> None:
    record = retiring(delivered=NOW - timedelta(minutes=31))
    p = plan(cfg(QUIET), record, used=None)
    assert changes(p) == [(Action.DELETE, "old", Cause.NOT_USED)]


def test_in_use_7_days_after_delivery_is_a_stuck_rotation_warning_not_a_change() -> None:
    record = retiring(delivered=NOW - timedelta(days=7))
    p = plan(cfg(QUIET), record, used=NOW - timedelta(minutes=4))
    assert p.changes == () and not p.differs
    assert p.retiring[0].wait is RetireWait.STUCK
    assert p.warnings == (PlanWarning(WarningKind.ROTATION_STUCK, "ci", ("old",)),)
    text = click.unstyle(render_text(p))
    assert "rotation stuck" in text and "`pstokens apply --force` deletes it" in text
    assert "ci: rotation stuck: replaced token old is still in use 7 days" in text
    assert json.loads(render_json(p))["warnings"][0]["kind"] == "rotation_stuck"
    assert "rotation stuck" in render_markdown(p)
    sarif = json.loads(render_plan_sarif(p, cfg(QUIET)))
    [result] = sarif["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("rotation_stuck", "warning")
    assert NotifyEvent.ROTATION_STUCK in plan_events(p)
    [notice] = plan_notices(p)
    assert notice.event is NotifyEvent.ROTATION_STUCK and "old" in notice.text


def test_six_days_in_use_is_not_yet_stuck() -> None:
    record = retiring(delivered=NOW - timedelta(days=6, hours=23))
    p = plan(cfg(QUIET), record, used=NOW - timedelta(minutes=4))
    assert p.retiring[0].wait is RetireWait.UNUSED and p.warnings == ()
    assert plan_events(p) == ()


def test_force_turns_a_stuck_rotation_into_a_delete_and_nothing_else() -> None:
    stuck = plan(cfg(QUIET), retiring(delivered=NOW - timedelta(days=8)),
                 used=NOW - timedelta(minutes=4))
    recent = plan(cfg(QUIET), retiring(delivered=NOW - timedelta(days=1)),
                  used=NOW - timedelta(minutes=4))
    forcing = forced(stuck)
    assert changes(forcing) == [(Action.DELETE, "old", Cause.ROTATION_STUCK)]
    assert forcing.retiring == () and forcing.warnings == ()
    assert "deleted because of --force" in click.unstyle(render_text(forcing))
    assert forced(recent) == recent  # --force never deletes a token merely in use
    with pytest.raises(UnsafePlan, match="still sees used"):
        check_safe(forcing, force=False)
    check_safe(forcing, force=True)


def test_a_successor_not_yet_delivered_keeps_the_old_token_whatever_its_use() -> None:
    record = retiring(delivered=None, successor_delivered=False)
    p = plan(cfg(QUIET), record, used=None)  # never used: still never judged before delivery
    assert [(c.action, c.cause) for c in p.changes] == [(Action.REPLACE, Cause.UNDELIVERED)]
    assert [(r.token_id, r.wait) for r in p.retiring] == [("old", RetireWait.DELIVERY)]
    assert "its wait starts once its successor's secret is delivered" in click.unstyle(
        render_text(p))


def test_a_removed_key_takes_its_retiring_tokens_with_it() -> None:
    record = retiring(delivered=NOW - timedelta(minutes=1))
    p = plan(cfg(), record, used=NOW)
    assert sorted((c.token_id, c.cause) for c in p.changes) == [
        ("new", Cause.REMOVED), ("old", Cause.RETIRED)]


def test_a_replace_says_the_old_token_waits_until_unused() -> None:
    record = TokenRecord(id="t1", name="ci", created_at=NOW - timedelta(days=1))
    live = {"t1": token("t1")}
    for spec, words in (
        (QUIET, "old t1 kept until unused for 30m (PlanetScale's last use), then deleted by "
                "the first apply after that"),
        (BOTH, "old t1 kept 1h after the new token is delivered and until unused for 30m"),
    ):
        p = make_plan(cfg(spec), st(record), live, now=NOW,
                      options=PlanOptions(replace=frozenset({"ci"})), table=TABLE)
        [head] = [c for c in p.changes if c.action is Action.REPLACE]
        assert head.retire == Retire("t1", spec.overlap or 0, HALF_HOUR)
        assert head.to_json()["retire"]["retire_when_unused_seconds"] == HALF_HOUR
        assert words in click.unstyle(render_text(p))
        assert words in render_markdown(p)
        assert Plan.from_json(p.to_json()).changes == p.changes


def test_without_retire_when_unused_the_retire_json_is_as_before() -> None:
    assert Retire("t1", 60).to_json() == {"token_id": "t1", "overlap_seconds": 60}


@pytest.mark.parametrize(("used", "since", "quiet"), [
    (NOW - timedelta(minutes=31), NOW, True),  # last use decides, whatever the delivery
    (NOW - timedelta(minutes=29), NOW - timedelta(days=1), False),
    (None, NOW - timedelta(minutes=31), True),
    (None, NOW - timedelta(minutes=29), False),
    (None, None, True),  # delivered at a time no state recorded: long ago
])
def test_unused_for_follows_the_contract(used: datetime | None, since: datetime | None,
                                         quiet: bool) -> None:
    assert unused_for(used, since, NOW, HALF_HOUR) is quiet
