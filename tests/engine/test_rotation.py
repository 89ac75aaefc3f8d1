"""Rotation with overlap and expiry warnings, planned over plain data.

A replaced token of a key with `overlap` is retiring until `retire_at`: plans
show it, do not delete it and do not count it as a difference; the first plan
after it deletes it (cause OVERLAP_ENDED). Without `overlap`, nothing changes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import click

from pstokens.config.model import Config, TokenSpec
from pstokens.engine.planning.plan import Action, Cause, Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.rules.findings import WarningKind
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.rotation import RetireWait, Retiring, retire_times
from pstokens.operations import operations_table
from pstokens.render import render_markdown, render_text
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = 3600
DAY = 86400


def cfg(**specs: TokenSpec) -> Config:
    return Config(organization="acme", tokens=specs)


def st(**records: TokenRecord) -> State:
    return State(organization="acme", lineage="L", serial=1, tokens=records)


def token(token_id: str, *, expires_at: datetime | None = None) -> LiveToken:
    return LiveToken(token_id, "ci", NOW - timedelta(days=1), expires_at, {})


def live(*tokens: LiveToken) -> dict[str, LiveToken]:
    return {t.id: t for t in tokens}


def plan(config: Config, state: State, lv: dict[str, LiveToken], *, now: datetime = NOW,
         replace_keys: frozenset[str] = frozenset()) -> Plan:
    return make_plan(config, state, lv, now=now, options=PlanOptions(replace=replace_keys),
                     table=TABLE)


def current(**kw: object) -> TokenRecord:
    return TokenRecord(id="new", name="ci", created_at=NOW - timedelta(days=1), **kw)  # type: ignore[arg-type]


OVERLAP = TokenSpec("ci", overlap=HOUR)


def test_a_token_inside_its_overlap_is_retiring_not_a_change() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW + timedelta(minutes=5)})
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new"), token("old")))
    assert p.changes == ()
    assert p.retiring == (Retiring("ci", "old", NOW + timedelta(minutes=5), HOUR),)
    assert not p.differs  # --detailed-exitcode exits 0 while the overlap lasts


def test_the_first_plan_after_the_overlap_deletes_it() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW})
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new"), token("old")))
    assert [(c.action, c.token_id, c.cause) for c in p.changes] == [
        (Action.DELETE, "old", Cause.OVERLAP_ENDED)
    ]
    assert p.retiring == ()
    assert p.unsafe == ()  # the tail of a replacement, not a managed token lost


def test_a_removed_key_takes_its_retiring_tokens_with_it() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW + timedelta(hours=1)})
    p = plan(cfg(), st(ci=record), live(token("new"), token("old")))
    assert sorted((c.token_id, c.cause) for c in p.changes) == [
        ("new", Cause.REMOVED), ("old", Cause.OVERLAP_ENDED)
    ]


def test_a_retiring_token_already_gone_is_drift_and_a_state_only_change() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW + timedelta(hours=1)})
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new")))
    assert [(c.action, c.token_id, c.cause) for c in p.changes] == [
        (Action.DELETE, "old", Cause.RETIRING_GONE)]
    assert [(d.token_id, str(d.kind)) for d in p.drift] == [("old", "deleted")]
    assert p.retiring == ()


def test_a_replacement_during_an_overlap_keeps_the_earlier_retiring_token() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW + timedelta(minutes=5)})
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new"), token("old")),
             replace_keys=frozenset({"ci"}))
    assert [(c.action, c.token_id) for c in p.changes] == [(Action.REPLACE, "new")]
    assert [r.token_id for r in p.retiring] == ["old"]


def test_an_old_token_whose_successor_was_never_delivered_waits_for_the_next_delivery() -> None:
    """Killed between create and delivery: the old token is still the one in use,
    so with overlap it retires only after the next successor is delivered."""
    record = current(delivered=False, retiring=("old",))
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new"), token("old")))
    assert [(c.action, c.token_id, c.cause) for c in p.changes] == [
        (Action.REPLACE, "new", Cause.UNDELIVERED)
    ]
    assert p.retiring == (Retiring("ci", "old", None, HOUR, RetireWait.DELIVERY),)


def test_without_overlap_a_retiring_token_is_deleted_at_once() -> None:
    record = current(retiring=("old",))
    p = plan(cfg(ci=TokenSpec("ci")), st(ci=record), live(token("new"), token("old")))
    assert [(c.action, c.token_id, c.cause) for c in p.changes] == [
        (Action.DELETE, "old", Cause.RETIRED)
    ]
    assert p.retiring == ()


def test_retire_times_start_at_delivery_and_keep_earlier_ones() -> None:
    earlier = NOW - timedelta(minutes=1)
    record = current(retiring=("a", "b"), retire_at={"a": earlier})
    assert retire_times(record, ["a", "b"], NOW, HOUR) == {
        "a": earlier, "b": NOW + timedelta(hours=1)
    }
    assert retire_times(record, ["b"], NOW, None) == {"a": earlier}


def test_a_token_expiring_within_14_days_with_nothing_replacing_it_is_a_warning() -> None:
    soon = NOW + timedelta(days=13)
    record = replace(current(), ttl=30 * DAY)
    p = plan(cfg(ci=TokenSpec("ci", ttl=30 * DAY)), st(ci=record),
             live(token("new", expires_at=soon)))
    [warning] = p.warnings
    assert (warning.kind, warning.key) == (WarningKind.EXPIRES_SOON, "ci")
    assert warning.token_ids == ("new",)
    assert warning.expires_at == soon
    assert p.to_json()["warnings"][0]["expires_at"] == soon.isoformat()
    assert not p.differs


def test_no_expiry_warning_when_the_plan_replaces_it_or_it_is_far_off() -> None:
    soon = NOW + timedelta(days=13)
    record = replace(current(), ttl=30 * DAY)
    replaced = plan(cfg(ci=TokenSpec("ci", ttl=30 * DAY)), st(ci=record),
                    live(token("new", expires_at=soon)), replace_keys=frozenset({"ci"}))
    assert replaced.warnings == ()
    far = plan(cfg(ci=TokenSpec("ci", ttl=30 * DAY)), st(ci=record),
               live(token("new", expires_at=NOW + timedelta(days=15))))
    assert far.warnings == ()


def test_a_plan_with_retiring_tokens_round_trips_as_json() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW + timedelta(minutes=5)})
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new"), token("old")))
    again = Plan.from_json(p.to_json())
    assert again.retiring == p.retiring
    assert p.to_json()["retiring"] == [
        {"key": "ci", "token_id": "old", "retire_at": "2026-06-01T12:05:00+00:00",
         "overlap_seconds": 3600, "wait": "overlap", "retire_when_unused_seconds": None,
         "last_used_at": None, "idle_seconds": None, "successor_delivered_at": None}
    ]


def test_retiring_tokens_are_shown_in_text_and_markdown_and_the_last_line_is_no_changes() -> None:
    record = current(retiring=("old",), retire_at={"old": NOW + timedelta(minutes=5)})
    p = plan(cfg(ci=OVERLAP), st(ci=record), live(token("new"), token("old")))
    text = click.unstyle(render_text(p))
    assert ("Retiring (replaced, kept working by overlap or retire_when_unused):\n"
            "  ci  id old  retiring at "
            "2026-06-01 12:05:00 UTC (overlap); the first apply after that deletes it") in text
    assert text.endswith("No changes. The organization matches the configuration.")
    markdown = render_markdown(p)
    assert "### Retiring (overlap, retire_when_unused) (1)" in markdown
    assert "| ci | old | retiring at 2026-06-01 12:05:00 UTC (overlap)" in markdown
