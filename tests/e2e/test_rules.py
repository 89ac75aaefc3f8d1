"""Rules end to end: a config breaking its own rules is refused offline, with exit 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

BREAKS_RULES = """\
organization: acme
rules:
  forbid_accesses: [delete_production_branch]
  require_ttl: true
  max_ttl: 180d
tokens:
  ci-deploy:
    ttl: 365d
    accesses:
      databases:
        app-prod: [read_branch, delete_production_branch]
  reporter: {}
"""


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("apply", "--auto-approve")],
                         ids=["validate", "plan", "apply"])
def test_a_config_breaking_its_rules_is_refused_with_every_finding_located(
    command: tuple[str, ...], cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", BREAKS_RULES)
    before = sorted(p.name for p in workdir.rglob("*"))

    result = cli(*command)

    assert result.code == 1
    assert "3 problems in the configuration" in result.err
    assert 'pstokens.yaml:8:10: ttl 365d of token "ci-deploy" is longer than rules.max_ttl ' \
        "(180d)" in result.err
    assert 'pstokens.yaml:11:33: token "ci-deploy" asks for delete_production_branch on ' \
        "database app-prod, which rules.forbid_accesses forbids" in result.err
    assert 'pstokens.yaml:12:3: token "reporter" sets no ttl, but rules.require_ttl is true' \
        in result.err
    assert "Traceback" not in result.both and result.out == ""
    assert emulator.stats()["total"] == 0
    assert sorted(p.name for p in workdir.rglob("*")) == before


def test_a_config_within_its_rules_validates(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml",
                 BREAKS_RULES.replace("365d", "90d").replace(", delete_production_branch]", "]")
                 .replace("reporter: {}", "reporter: {ttl: 1d}"))
    result = cli("validate")
    assert result.code == 0, result.both
    assert "valid (2 tokens, organization acme)" in result.out


GUARDED = """\
organization: acme
unmanaged:
  policy: ignore
rules:
  forbid_accesses: [delete_production_branch, delete_databases]
  unused_after: 90d
tokens:
  ci-deploy:
    ttl: 30d
    accesses:
      databases:
        app-prod: [read_branch]
"""


def _converge(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", GUARDED)
    assert cli("apply", "--auto-approve").code == 0
    assert cli("plan", "--detailed-exitcode").code == 0


def test_an_unmanaged_token_breaking_a_rule_fails_the_drift_check(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    _converge(cli, workdir)
    admin, _ = emulator.store.create_token("acme", "legacy-admin")
    emulator.store.grant("acme", admin["id"], ["delete_databases"])

    result = cli("plan", "--detailed-exitcode")

    assert result.code == 2, result.both
    assert f'Rule violations (1):\n  "legacy-admin" [id {admin["id"]}, unmanaged] holds ' \
        "delete_databases on the organization (rules.forbid_accesses)" in result.out
    last = result.out.strip().splitlines()[-1]
    assert last == ("Plan: 0 to create, 0 to replace, 0 to delete, 0 accesses to grant, "
                    "0 to revoke; 1 rule violation.")
    data = json.loads(cli("plan", "--format", "json").out)
    assert [(v["rule"], v["token_id"], v["access"]) for v in data["violations"]] == [
        ("forbid_accesses", admin["id"], "delete_databases")]
    markdown = cli("plan", "--format", "markdown", "--detailed-exitcode")
    assert markdown.code == 2 and "### Rule violations (1)" in markdown.out


def test_an_unused_token_is_a_warning_and_the_drift_check_still_passes(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    _converge(cli, workdir)
    idle, _ = emulator.store.create_token("acme", "old-ci",
                                          created_at=datetime.now(UTC) - timedelta(days=300))
    emulator.store.set_times("acme", idle["id"],
                             last_used_at=datetime.now(UTC) - timedelta(days=120))

    result = cli("plan", "--detailed-exitcode")

    assert result.code == 0, result.both
    assert f'Warnings:\n  "old-ci" [id {idle["id"]}, unmanaged] is unused: last used' in result.out
    assert result.out.strip().endswith("No changes. The organization matches the configuration.")
    warnings = json.loads(cli("plan", "--format", "json").out)["warnings"]
    assert [(w["kind"], w["token_id"]) for w in warnings] == [("unused", idle["id"])]


def test_a_saved_plan_with_violations_still_applies(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    _converge(cli, workdir)
    admin, _ = emulator.store.create_token("acme", "legacy-admin")
    emulator.store.grant("acme", admin["id"], ["delete_production_branch"], "app-prod")
    assert cli("plan", "--out", "plan.json").code == 0
    applied = cli("apply", "plan.json", "--auto-approve")
    assert applied.code == 0, applied.both
