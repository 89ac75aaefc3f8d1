"""`--format sarif` end to end: validate, plan and report print schema-valid SARIF whose
results are located in the config, with fingerprints that hold from run to run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config
from tests.sarif_schema import valid_sarif

GUARDED = """\
organization: acme
unmanaged:
  policy: ignore
rules:
  forbid_accesses: [delete_databases]
  unused_after: 90d
tokens:
  ci-deploy:
    ttl: 10d
    accesses:
      databases:
        app-prod: [read_branch]
"""


def _results(text: str) -> list[dict[str, Any]]:
    [run] = valid_sarif(text)["runs"]
    assert run["tool"]["driver"]["name"] == "pstokens"
    results: list[dict[str, Any]] = run["results"]
    return results


def _where(result: dict[str, Any]) -> tuple[str, int, int]:
    location = result["locations"][0]["physicalLocation"]
    region = location["region"]
    return location["artifactLocation"]["uri"], region["startLine"], region["startColumn"]


def test_validate_reports_every_config_problem_at_its_place(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml",
                 "organization: acme\ntokens:\n  ci:\n    tll: 30d\n    ttl: 3x\n")
    result = cli("validate", "--format", "sarif")
    assert result.code == 1
    assert "2 problems in the configuration" in result.err
    found = [(r["ruleId"], r["level"], _where(r)) for r in _results(result.out)]
    assert found == [("config", "error", ("pstokens.yaml", 4, 5)),
                     ("config", "error", ("pstokens.yaml", 5, 10))]


def test_validate_reports_rule_problems_by_rule_and_warnings_as_warnings(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", """\
organization: acme
rules:
  max_ttl: 30d
tokens:
  ci:
    ttl: 60d
    rotate_after: 90d
""")
    result = cli("validate", "--format", "sarif")
    assert result.code == 1
    found = [(r["ruleId"], r["level"], _where(r)[1:]) for r in _results(result.out)]
    assert found == [("max_ttl", "error", (6, 10)), ("config-warning", "warning", (7, 19))]

    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  ci:\n    ttl: 30d\n"
                                            "    rotate_after: 30d\n")
    clean = cli("validate", "--format", "sarif")
    assert clean.code == 0 and clean.err == ""
    assert [r["level"] for r in _results(clean.out)] == ["warning"]


def test_plan_sarif_carries_violations_unused_tokens_and_expiry_with_stable_fingerprints(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED)
    assert cli("apply", "--auto-approve").code == 0
    admin, _ = emulator.store.create_token("acme", "legacy-admin")
    emulator.store.grant("acme", admin["id"], ["delete_databases"])
    idle, _ = emulator.store.create_token("acme", "old-ci",
                                          created_at=datetime.now(UTC) - timedelta(days=300))

    first = cli("plan", "--format", "sarif", "--detailed-exitcode")
    assert first.code == 2, first.err
    results = _results(first.out)
    by_rule = {r["ruleId"]: r for r in results}
    assert sorted(by_rule) == ["expires_soon", "forbid_accesses", "unused_after"]
    violation = by_rule["forbid_accesses"]
    assert violation["level"] == "error"
    assert violation["properties"]["token_id"] == admin["id"]
    assert _where(violation) == ("pstokens.yaml", 5, 20)  # the rule, as no key manages it
    assert _where(by_rule["expires_soon"]) == ("pstokens.yaml", 8, 3)  # its key
    assert by_rule["unused_after"]["level"] == by_rule["expires_soon"]["level"] == "warning"
    assert by_rule["unused_after"]["properties"]["token_id"] == idle["id"]

    # The config moves down two lines: places change, identities do not.
    write_config(workdir / "pstokens.yaml", "# drift check\n# daily\n" + GUARDED)
    again = _results(cli("plan", "--format", "sarif").out)
    assert [_where(r)[1] for r in again] != [_where(r)[1] for r in results]
    assert sorted(r["partialFingerprints"]["pstokens/v1"] for r in again) == sorted(
        r["partialFingerprints"]["pstokens/v1"] for r in results)


def test_plan_sarif_of_a_clean_organization_has_no_results_and_exits_0(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED.replace("10d", "90d"))
    assert cli("apply", "--auto-approve").code == 0
    result = cli("plan", "--format", "sarif", "--detailed-exitcode")
    assert result.code == 0 and _results(result.out) == []


def test_plan_sarif_of_a_broken_config_is_the_problems_then_exit_1_without_an_api_call(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED.replace("read_branch", "read_brnch"))
    result = cli("plan", "--format", "sarif")
    assert result.code == 1
    [problem] = _results(result.out)
    assert _where(problem) == ("pstokens.yaml", 12, 20)
    assert "read_brnch" in problem["message"]["text"] and "read_brnch" in result.err
    assert emulator.stats()["total"] == 0


def test_report_sarif_carries_the_violations_of_every_live_token(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED)
    assert cli("apply", "--auto-approve").code == 0
    admin, _ = emulator.store.create_token("acme", "legacy-admin")
    emulator.store.grant("acme", admin["id"], ["delete_databases"])
    result = cli("report", "--format", "sarif")
    assert result.code == 0, result.err
    [violation] = _results(result.out)
    assert (violation["ruleId"], violation["level"]) == ("forbid_accesses", "error")
    assert "legacy-admin" in violation["message"]["text"]

    cli("report", "--format", "sarif", "--out", "out/report.sarif")
    assert _results((workdir / "out" / "report.sarif").read_text()) == [violation]


@pytest.mark.parametrize(("command", "shown"), [
    (("apply", "--auto-approve"), "apply prints text or json"),
    (("show", "plan.json"), "show prints text, json or markdown"),
], ids=["apply", "show"])
def test_sarif_where_it_does_not_apply_is_one_clear_line(
    command: tuple[str, ...], shown: str, cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED)
    result = cli(*command, "--format", "sarif")
    assert result.code == 1 and result.out == ""
    first = result.err.splitlines()[0]
    assert first == ("Error: Invalid value for '--format': sarif is for validate, plan and "
                     f"report; {shown}")
    assert emulator.stats()["total"] == 0
    assert not (workdir / "state").exists()


OPERATIONS = """\
organization: acme
unmanaged:
  policy: ignore
rules:
  forbid_operations: [delete_database]
tokens:
  ci-deploy:
    ttl: 10d
    accesses:
      databases:
        app-prod: [read_branch]
"""


@pytest.mark.parametrize("command", ["plan", "report"])
def test_sarif_of_a_live_token_breaking_forbid_operations_is_a_result(
    command: str, cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", OPERATIONS)
    assert cli("apply", "--auto-approve").code == 0
    admin, _ = emulator.store.create_token("acme", "legacy-admin")
    emulator.store.grant("acme", admin["id"], ["delete_database"], "app-prod")
    result = cli(command, "--format", "sarif")
    assert result.code == 0, result.err
    found = [r for r in _results(result.out) if r["ruleId"] == "forbid_operations"]
    assert [r["level"] for r in found] == ["error"]
    assert "delete_database" in found[0]["message"]["text"]
    assert _where(found[0]) == ("pstokens.yaml", 5, 22)  # the rule, as no key manages it


BREAKS_ITS_RULES = OPERATIONS.replace("[read_branch]", "[delete_database]")


def test_plan_sarif_of_a_config_breaking_its_own_rules_is_the_findings_then_exit_1(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", BREAKS_ITS_RULES)
    validate = cli("validate", "--format", "sarif")
    result = cli("plan", "--format", "sarif")
    assert result.code == validate.code == 1
    [finding] = _results(result.out)
    assert (finding["ruleId"], _where(finding)) == ("forbid_operations", ("pstokens.yaml", 11, 20))
    assert [r["ruleId"] for r in _results(validate.out)] == ["forbid_operations"]
    assert "forbidden by rules.forbid_operations" in result.err
    assert emulator.stats()["total"] == 0


def test_report_sarif_out_of_a_refused_config_is_written_to_the_file(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED.replace("read_branch", "read_brnch"))
    result = cli("report", "--format", "sarif", "--out", "out/report.sarif")
    assert result.code == 1 and result.out == ""
    assert "read_brnch" in result.err
    [finding] = _results((workdir / "out" / "report.sarif").read_text())
    assert (finding["ruleId"], _where(finding)) == ("config", ("pstokens.yaml", 12, 20))
    assert emulator.stats()["total"] == 0


def test_plan_sarif_out_of_a_refused_config_prints_the_log_and_writes_no_plan(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", BREAKS_ITS_RULES)
    result = cli("plan", "--format", "sarif", "--out", "plan.json")
    assert result.code == 1
    assert [r["ruleId"] for r in _results(result.out)] == ["forbid_operations"]
    assert not (workdir / "plan.json").exists()  # --out is the JSON plan, never the log
