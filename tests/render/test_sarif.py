"""SARIF from plain data: valid against the OASIS schema, located, fingerprinted by identity."""

from __future__ import annotations

import json

import pytest

from pstokens.config import Config, parse_config
from pstokens.engine.planning.plan import Plan
from pstokens.engine.rules.guardrails import Rule, Violation
from pstokens.errors import Problem
from pstokens.render.sarif import render_plan_sarif, render_problems_sarif
from tests.sarif_schema import valid_sarif

CONFIG = """\
organization: acme
rules:
  forbid_accesses: [delete_databases]
tokens:
  ci:
    ttl: 30d
"""


def _plan(*violations: Violation) -> Plan:
    return Plan("acme", "lineage", 1, violations=violations)


def test_problems_become_located_results_of_their_level() -> None:
    log = valid_sarif(render_problems_sarif(
        "validate",
        [Problem("conf/pstokens.yaml", 4, 7, 'unknown key "tll"'),
         Problem("conf/pstokens.yaml", 9, 3, "too long", rule="max_ttl")],
        [Problem("conf/pstokens.yaml", 5, 19, "warning: rotate_after ...")],
    ))
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "pstokens"
    assert run["automationDetails"]["id"] == "pstokens/validate/"
    seen = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"])
            for r in run["results"]]
    assert seen == [
        ("config", "error", {"artifactLocation": {"uri": "conf/pstokens.yaml"},
                             "region": {"startLine": 4, "startColumn": 7}}),
        ("max_ttl", "error", {"artifactLocation": {"uri": "conf/pstokens.yaml"},
                              "region": {"startLine": 9, "startColumn": 3}}),
        ("config-warning", "warning", {"artifactLocation": {"uri": "conf/pstokens.yaml"},
                                       "region": {"startLine": 5, "startColumn": 19}}),
    ]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_a_fingerprint_ignores_where_a_finding_was_written() -> None:
    def fingerprints(line: int) -> list[str]:
        log = json.loads(render_problems_sarif("validate", [Problem("p.yaml", line, 1, "bad")]))
        return [r["partialFingerprints"]["pstokens/v1"] for r in log["runs"][0]["results"]]

    assert fingerprints(3) == fingerprints(30)
    other = json.loads(render_problems_sarif("validate", [Problem("p.yaml", 3, 1, "other")]))
    assert other["runs"][0]["results"][0]["partialFingerprints"] != fingerprints(3)


def test_a_live_violation_points_at_its_key_or_at_the_rule_it_breaks() -> None:
    config = parse_config(CONFIG)
    managed = Violation(Rule.FORBID_ACCESSES, "t1", "ci", "ci", None, "delete_databases")
    unmanaged = Violation(Rule.FORBID_ACCESSES, "t2", "admin\x1b[31m", None, None,
                          "delete_databases")
    log = valid_sarif(render_plan_sarif(_plan(managed, unmanaged), config))
    results = log["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert regions == [{"startLine": 5, "startColumn": 3}, {"startLine": 3, "startColumn": 20}]
    assert "\x1b" not in results[1]["message"]["text"]
    assert "\"admin\\x1b[31m\" [id t2, unmanaged]" in results[1]["message"]["text"]


def test_a_violation_keeps_its_fingerprint_when_the_config_moves_and_the_token_is_replaced(
) -> None:
    before = parse_config(CONFIG)
    after = parse_config(CONFIG.replace("tokens:\n", "tokens:\n  other: {}\n"))
    first = Violation(Rule.FORBID_ACCESSES, "t1", "ci", "ci", None, "delete_databases")
    replaced = Violation(Rule.FORBID_ACCESSES, "t9", "ci", "ci", None, "delete_databases")

    def only(plan: Plan, config: Config) -> dict[str, object]:
        result: dict[str, object] = json.loads(render_plan_sarif(plan, config))["runs"][0][
            "results"][0]
        return result

    a, b = only(_plan(first), before), only(_plan(replaced), after)
    assert a["locations"] != b["locations"]
    assert a["partialFingerprints"] == b["partialFingerprints"]


def test_the_schema_check_refuses_what_is_not_sarif() -> None:
    log = json.loads(render_problems_sarif("validate", [Problem("p.yaml", 1, 1, "bad")]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="level"):
        valid_sarif(json.dumps(log))
