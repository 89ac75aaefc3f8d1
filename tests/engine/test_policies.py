"""Rego policies on plans (`rules.policies`), as plain data: the three example
policies against plans that pass and plans that fail, and every way a policy
itself can be wrong (does not parse, fails, runs too long)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pstokens.config import parse_config
from pstokens.config.model import PolicyFile, Rules
from pstokens.engine.planning.judging import Judge, judged, offline_plan
from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind, check_policies, evaluate
from pstokens.errors import ConfigError
from pstokens.operations import operations_table
from pstokens.render.json import plan_document

pytest.importorskip("regopy")

EXAMPLES = Path(__file__).parents[2] / "examples" / "policy"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def example(name: str) -> PolicyFile:
    path = EXAMPLES / f"{name}.rego"
    return PolicyFile.of(str(path), path.read_text())


def offline(tokens: str) -> dict[str, Any]:
    """The document `plan --format json` prints for `tokens` made in an empty organization."""
    config = parse_config(f"organization: acme\ntokens:\n{tokens}")
    return plan_document(offline_plan(config, operations_table(), NOW))


def messages(name: str, document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(f.kind), f.message) for f in evaluate([example(name)], document)]


def grant(key: str, database: str | None, *accesses: str) -> dict[str, Any]:
    """A plan granting an existing token more: nothing in the config about it."""
    change = Change(Action.GRANT, key, "t1", database, accesses)
    return plan_document(Plan("acme", "l", 1, changes=(change,), config={"tokens": {}}))


GOOD = """\
  payments-ci:
    ttl: 30d
    accesses:
      databases:
        payments-prod: [read_branch, create_deploy_request]
  reporter:
    ttl: 90d
    accesses:
      organization: [read_databases]
"""


@pytest.mark.parametrize("name", ["no_production_delete", "ttl", "teams"])
def test_each_example_policy_passes_a_plan_within_it(name: str) -> None:
    assert messages(name, offline(GOOD)) == []
    assert messages(name, grant("payments-ci", "payments-staging", "read_branch")) == []


def test_no_production_delete_denies_it_asked_for_or_granted() -> None:
    asked = offline("  ci:\n    ttl: 1d\n    accesses:\n      databases:\n"
                    "        app: [read_branch, delete_production_branch]\n")
    assert messages("no_production_delete", asked) == [
        ("deny", "ci may not hold delete_production_branch (on app)")]
    granted = grant("legacy", None, "delete_production_branch_password")
    assert messages("no_production_delete", granted) == [
        ("deny", "legacy may not hold delete_production_branch_password (on (organization))")]


def test_ttl_denies_a_token_living_past_90_days_or_forever() -> None:
    document = offline("  long:\n    ttl: 91d\n  forever: {}\n  fine:\n    ttl: 90d\n")
    assert messages("ttl", document) == [
        ("deny", "forever never expires; give it a ttl of at most 90 days"),
        ("deny", "long lives 91 days; at most 90 are allowed"),
    ]


def test_teams_keeps_a_team_token_to_its_own_databases() -> None:
    document = offline("  payments-ci:\n    ttl: 1d\n    accesses:\n      organization: "
                       "[read_databases]\n      databases:\n        orders-prod: [read_branch]\n"
                       "  ops-ci:\n    ttl: 1d\n    accesses:\n      databases:\n"
                       "        orders-prod: [read_branch]\n")
    assert messages("teams", document) == [
        ("deny", "payments-ci belongs to team payments and may not touch database orders-prod"),
        ("warn", "payments-ci belongs to team payments but holds organization accesses"),
    ]
    assert messages("teams", grant("search-indexer", "payments-prod", "read_branch")) == [
        ("deny", "search-indexer belongs to team search and may not touch database "
         "payments-prod")]


def test_a_plan_is_judged_once_and_a_deny_makes_it_differ() -> None:
    config = parse_config("organization: acme\ntokens:\n  a: {}\n")
    plan = Plan("acme", "l", 1)
    assert judged(plan, config, Judge()) is plan  # no policies: nothing evaluated
    seen: list[Plan] = []

    def document(p: Plan) -> dict[str, Any]:
        seen.append(p)
        return p.to_json()

    ruled = replace(config, rules=Rules(policies=(example("ttl"),)))
    out = judged(offline_plan(ruled, operations_table(), NOW), ruled, Judge(document))
    assert len(seen) == 1
    assert out.differs and out.denied == (PolicyFinding(
        PolicyKind.DENY, "pstokens.ttl", "a never expires; give it a ttl of at most 90 days",
        str(EXAMPLES / "ttl.rego")),)
    assert Plan.from_json(out.to_json()).policies == out.policies  # saved and read back


def test_a_policy_that_does_not_parse_is_an_error_at_its_line_and_column() -> None:
    bad = PolicyFile.of("policy/bad.rego", "package x\n\ndeny contains msg if {\n  msg := \n}\n")
    with pytest.raises(ConfigError) as caught:
        check_policies([bad])
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == ("policy/bad.rego", 4, 7)
    assert "does not parse" in problem.message


def test_a_policy_without_a_package_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        evaluate([PolicyFile.of("p.rego", "# nothing\n")], {})
    assert str(caught.value.problems[0]).startswith("p.rego:1:")


def test_a_policy_failing_on_the_plan_is_an_error_at_its_package() -> None:
    conflict = PolicyFile.of("p.rego", "# two values\npackage c\nimport rego.v1\n"
                             "x := 1\nx := 2 if { true }\ndeny contains \"d\" if { x }\n")
    with pytest.raises(ConfigError) as caught:
        evaluate([conflict], {})
    assert str(caught.value.problems[0]).startswith("p.rego:")
