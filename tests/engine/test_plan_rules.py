"""Plans check every live token against `rules:`: violations make a plan differ,
unused tokens are warnings, and both survive a saved plan's JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import click

from pstokens.config.model import Config, Rules, TokenSpec
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.policy import config_digest
from pstokens.engine.rules.guardrails import Rule
from pstokens.engine.rules.live import LiveToken
from pstokens.operations import operations_table
from pstokens.render import render_markdown, render_text, words
from pstokens.render.json import plan_document, render_json
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86400
RULES = Rules(forbid_accesses=frozenset({"delete_production_branch"}), unused_after=90 * DAY)
CI = TokenSpec("ci", {"app-prod": frozenset({"read_branch"})})


def config(rules: Rules | None = RULES, policy: str = "ignore") -> Config:
    return Config(organization="acme", tokens={"ci": CI}, rules=rules,
                  unmanaged_policy=policy)  # type: ignore[arg-type]


def converged() -> tuple[State, dict[str, LiveToken]]:
    state = State(organization="acme", lineage="L", serial=2, tokens={
        "ci": TokenRecord(id="ci1", name="ci", accesses={"app-prod": frozenset({"read_branch"})},
                          created_at=NOW - DAY * timedelta(seconds=1))})
    ci = LiveToken("ci1", "ci", NOW - timedelta(days=1), None,
                   {"app-prod": frozenset({"read_branch"})}, last_used_at=NOW)
    return state, {"ci1": ci}


def with_admin(live: dict[str, LiveToken], *, used_days_ago: int = 1) -> dict[str, LiveToken]:
    admin = LiveToken("adm1", "legacy-admin", NOW - timedelta(days=400), None,
                      {"app-prod": frozenset({"read_branch", "delete_production_branch"})},
                      last_used_at=NOW - timedelta(days=used_days_ago))
    return {**live, "adm1": admin}


def test_an_unmanaged_token_holding_a_forbidden_access_makes_the_plan_differ() -> None:
    state, live = converged()
    plan = make_plan(config(), state, with_admin(live), now=NOW, table=TABLE)
    assert not plan.changes and not plan.unmanaged  # policy ignore: only the rule speaks
    assert [(v.rule, v.token_id, v.key, v.database, v.access) for v in plan.violations] == [
        (Rule.FORBID_ACCESSES, "adm1", None, "app-prod", "delete_production_branch")]
    assert plan.differs
    line = words.summary_line(plan)
    assert line == ("Plan: 0 to create, 0 to replace, 0 to delete, 0 accesses to grant, "
                    "0 to revoke; 1 rule violation.")
    assert "No changes" not in render_text(plan)


def test_unused_tokens_are_warnings_that_leave_a_converged_plan_unchanged() -> None:
    state, live = converged()
    plan = make_plan(config(Rules(unused_after=90 * DAY)), state,
                     with_admin(live, used_days_ago=200), now=NOW, table=TABLE)
    assert plan.violations == () and not plan.differs
    assert [u.token_id for u in plan.unused] == ["adm1"]
    text = click.unstyle(render_text(plan))
    assert 'Warnings:\n  "legacy-admin" [id adm1, unmanaged] is unused: last used 2025-11-13 ' \
        "(rules.unused_after 90d)" in text
    assert text.endswith(words.NO_CHANGES)


def test_without_rules_a_plan_reports_nothing_of_them() -> None:
    state, live = converged()
    plan = make_plan(config(None), state, with_admin(live, used_days_ago=500), now=NOW, table=TABLE)
    assert plan.violations == () and plan.unused == () and not plan.differs


def test_a_targeted_plan_checks_only_the_targeted_tokens() -> None:
    state, live = converged()
    plan = make_plan(config(), state, with_admin(live), now=NOW,
                     options=PlanOptions(targets=frozenset({"ci"})), table=TABLE)
    assert plan.violations == ()


def test_text_and_markdown_show_a_rule_violations_section() -> None:
    state, live = converged()
    plan = make_plan(config(), state, with_admin(live, used_days_ago=200), now=NOW, table=TABLE)
    text = click.unstyle(render_text(plan))
    assert 'Rule violations (1):\n  "legacy-admin" [id adm1, unmanaged] holds ' \
        "delete_production_branch on database app-prod (rules.forbid_accesses)" in text
    md = render_markdown(plan)
    assert "### Rule violations (1)" in md
    assert "| legacy-admin | adm1 | (unmanaged) | holds delete\\_production\\_branch on " \
        "database app-prod (rules.forbid\\_accesses) |" in md
    assert "### Warnings (1)" in md


def test_violations_and_unused_warnings_are_in_the_json_and_load_back() -> None:
    state, live = converged()
    plan = make_plan(config(), state, with_admin(live, used_days_ago=200), now=NOW, table=TABLE)
    data = json.loads(render_json(plan))
    assert data["violations"][0]["rule"] == "forbid_accesses"
    assert data["violations"][0]["message"].startswith('"legacy-admin" [id adm1, unmanaged] holds')
    assert data["warnings"][0]["kind"] == "unused"
    assert "is unused: last used" in data["warnings"][0]["message"]
    loaded = Plan.from_json(json.loads(json.dumps(plan_document(plan))))
    assert loaded.violations == plan.violations and loaded.unused == plan.unused


def test_where_the_config_wrote_things_is_not_part_of_its_digest() -> None:
    moved = dataclasses.replace(config(), spots={("tokens", "ci"): (9, 3)})
    assert config_digest(moved) == config_digest(config())
    assert config_digest(config(None)) != config_digest(config())
