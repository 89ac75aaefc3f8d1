"""Rego policies end to end: the example policies on real plans against the emulator
(exit 2 with --detailed-exitcode, JSON, SARIF), and a bad policy refused before any call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

pytest.importorskip("regopy")

EXAMPLES = Path(__file__).parents[2] / "examples" / "policy"

CONFIG = """\
organization: acme
rules:
  policies: [policy/no_production_delete.rego, policy/ttl.rego, policy/teams.rego]
tokens:
  payments-ci:
    ttl: 30d
    accesses:
      databases:
        payments-prod: [read_branch]
"""


@pytest.fixture
def policies(workdir: Path) -> Path:
    shutil.copytree(EXAMPLES, workdir / "policy")
    return workdir / "policy"


def test_a_plan_within_the_policies_validates_and_plans_clean(
    cli: Cli, workdir: Path, policies: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("validate").code == 0
    result = cli("plan", "--format", "json")
    assert result.code == 0, result.both
    assert "policies" not in json.loads(result.out)


def test_a_plan_breaking_a_policy_exits_2_and_names_the_package(
    cli: Cli, workdir: Path, policies: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace("30d", "180d").replace(
        "payments-prod: [read_branch]",
        "payments-prod: [read_branch]\n        orders: [read_branch]"))
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 2, result.both
    assert "Policy violations (2):" in result.out
    assert ("policy pstokens.teams: payments-ci belongs to team payments and may not touch "
            "database orders") in result.out
    assert "policy pstokens.ttl: payments-ci lives 180 days; at most 90 are allowed" in result.out

    document = json.loads(cli("plan", "--format", "json").out)
    assert {(p["package"], p["kind"]) for p in document["policies"]} == {
        ("pstokens.teams", "deny"), ("pstokens.ttl", "deny")}

    sarif = json.loads(cli("plan", "--format", "sarif").out)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"pstokens.teams", "pstokens.ttl"}
    assert all(r["level"] == "error" for r in results if r["ruleId"].startswith("pstokens."))

    refused = cli("validate")  # offline, on the plan of an empty organization
    assert refused.code == 1 and "policy pstokens.ttl" in refused.err


def test_a_policy_that_does_not_parse_is_refused_before_any_call(
    cli: Cli, emulator: Emulator, workdir: Path, policies: Path
) -> None:
    (policies / "ttl.rego").write_text("package pstokens.ttl\n\ndeny contains m if {\n  m := \n}\n")
    write_config(workdir / "pstokens.yaml", CONFIG)
    for command in (("validate",), ("plan",), ("apply", "--auto-approve")):
        result = cli(*command)
        assert result.code == 1, (command, result.both)
        assert "policy/ttl.rego:4:5: the policy does not parse" in result.err
        assert "Traceback" not in result.both
    assert emulator.stats()["total"] == 0


def test_validate_sarif_puts_each_policy_finding_under_its_package(
    cli: Cli, workdir: Path, policies: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace("30d", "180d").replace(
        "    accesses:\n", "    accesses:\n      organization: [read_databases]\n", 1))
    result = cli("validate", "--format", "sarif")
    assert result.code == 1, result.both
    run = json.loads(result.out)["runs"][0]
    found = {(r["ruleId"], r["level"], r["message"]["text"]) for r in run["results"]}
    assert found == {
        ("pstokens.ttl", "error",
         "policy pstokens.ttl: payments-ci lives 180 days; at most 90 are allowed"),
        ("pstokens.teams", "warning",
         "policy pstokens.teams: payments-ci belongs to team payments but holds organization "
         "accesses"),
    }
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "policy/ttl.rego" in rules["pstokens.ttl"]["fullDescription"]["text"]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["region"]["startLine"] == 3  # at `policies:`


def test_validate_gives_the_cycle_collector_back_however_it_ends(
    cli: Cli, workdir: Path, policies: Path
) -> None:
    """`validate` turns the collector off while it reads and plans (a speed measure,
    pstokens/nocycles.py); the process gets it back, after a refusal too."""
    import gc

    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("validate").code == 0
    assert gc.isenabled()
    write_config(workdir / "pstokens.yaml", CONFIG.replace("30d", "180d"))
    result = cli("validate")
    assert result.code == 1 and "at most 90 are allowed" in result.err, result.both
    assert gc.isenabled()
