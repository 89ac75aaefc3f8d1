"""`pstokens report` against a real emulator over loopback, in all four formats."""

from __future__ import annotations

import html
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
rules:
  forbid_accesses: [delete_production_branch, delete_databases]
  max_ttl: 180d
tokens:
  ci-deploy:
    ttl: 90d
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
  reporter:
    accesses:
      databases:
        analytics: [read_branch]
"""
EVIL = "<script>window.pwned=1</script>|*x*"


def seed_unmanaged(emulator: Emulator) -> dict[str, str]:
    """Tokens made by hand: one breaking forbid_accesses, one stale, one with a hostile name."""
    store, org, now = emulator.store, emulator.org, datetime.now(UTC)
    admin, _ = store.create_token(org, "legacy-admin", created_at=now - timedelta(days=400))
    store.grant(org, admin["id"], ["read_branch", "delete_production_branch"], "app-prod")
    store.set_times(org, admin["id"], last_used_at=now - timedelta(days=200))
    year, _ = store.create_token(org, "year-long", 365 * 86400)
    evil, _ = store.create_token(org, EVIL)
    store.grant(org, evil["id"], ["read_databases"])
    return {"admin": admin["id"], "year": year["id"], "evil": evil["id"]}


@pytest.fixture
def seeded(cli: Cli, emulator: Emulator, workdir: Path) -> dict[str, str]:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    ids = seed_unmanaged(emulator)
    emulator.reset_stats()
    return ids


def test_text_report_lists_every_token_and_its_findings(
    cli: Cli, emulator: Emulator, seeded: dict[str, str]
) -> None:
    result = cli("report")
    assert result.code == 0, result.both
    out = result.out
    assert "5 tokens (2 managed, 3 unmanaged) on 2 databases; 2 rule violations" in out
    for name in ("ci-deploy", "reporter", "legacy-admin", "year-long"):
        assert name in out
    assert f'"legacy-admin" [id {seeded["admin"]}, unmanaged] holds delete_production_branch ' \
        "on database app-prod (rules.forbid_accesses)" in out
    assert f'"year-long" [id {seeded["year"]}, unmanaged] lives 365d, longer than ' \
        "rules.max_ttl 180d" in out
    assert '"legacy-admin" [id' in out.split("Unused tokens (1):")[1]
    assert "\x1b" not in out  # not a terminal: no colour


def test_a_report_costs_the_list_pages_only_when_accesses_are_embedded(
    cli: Cli, emulator: Emulator, seeded: dict[str, str]
) -> None:
    assert cli("report", "--format", "json").code == 0
    report_calls = emulator.stats()["by_route"]
    emulator.reset_stats()
    assert cli("plan").code in (0, 2)
    # A plan also reads the audit log for leaks: one call; a report does not.
    assert emulator.stats()["by_route"] == report_calls | {
        "GET /v1/organizations/{organization}/audit-log": {"200": 1}}
    assert list(report_calls) == ["GET /v1/organizations/{organization}/service-tokens"]


def test_json_report_is_for_scripts(cli: Cli, seeded: dict[str, str]) -> None:
    result = cli("report", "--format", "json")
    assert result.code == 0, result.both
    data = json.loads(result.out)
    assert data["format_version"] == 1 and data["organization"] == "acme"
    assert data["summary"] == {"tokens": 5, "managed": 2, "unmanaged": 3, "databases": 2,
                               "violations": 2, "tokens_with_violations": 2, "unused": 1,
                               "expired": 0, "escalations": 0}
    by_name = {t["name"]: t for t in data["tokens"]}
    assert by_name["ci-deploy"]["key"] == "ci-deploy" and by_name["ci-deploy"]["managed"]
    assert by_name["ci-deploy"]["accesses"] == {
        "organization": ["read_databases"],
        "databases": {"app-prod": ["create_deploy_request", "read_branch"]},
    }
    assert by_name["legacy-admin"]["key"] is None
    assert by_name["legacy-admin"]["violations"] == [{
        "rule": "forbid_accesses", "token_id": seeded["admin"], "name": "legacy-admin",
        "key": None, "database": "app-prod", "access": "delete_production_branch",
        "lifetime": None, "limit": None, "operation": None, "possibly": False,
    }]
    assert by_name["legacy-admin"]["unused"] is True
    assert by_name[EVIL]["accesses"]["organization"] == ["read_databases"]
    assert [w["token_id"] for w in data["warnings"]] == [seeded["admin"]]
    assert data["rules"]["forbid_accesses"] == ["delete_databases", "delete_production_branch"]


def test_markdown_report_escapes_names_and_has_every_section(
    cli: Cli, seeded: dict[str, str]
) -> None:
    result = cli("report", "--format", "markdown")
    assert result.code == 0, result.both
    md = result.out
    for title in ("### Rule violations (2)", "### Unused tokens (1)", "### Tokens (5)",
                  "### Who holds what on each database"):
        assert title in md
    assert "<script>" not in md
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;\\|\\*x\\*" in md
    assert len(md) < 60_000


def test_html_report_written_with_out_is_one_private_self_contained_file(
    cli: Cli, seeded: dict[str, str], workdir: Path
) -> None:
    result = cli("report", "--format", "html", "--out", "review/report.html")
    assert result.code == 0, result.both
    assert "Wrote the html report of 5 tokens to review/report.html." in result.out
    path = workdir / "review" / "report.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    page = path.read_text()
    assert "<script>window.pwned" not in page
    assert html.escape(EVIL) in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    assert page.count("<script>") == 1 and 'id="matrix"' in page


def test_a_bad_out_path_is_refused_before_any_call(
    cli: Cli, emulator: Emulator, seeded: dict[str, str], workdir: Path
) -> None:
    (workdir / "a-file").write_text("")
    result = cli("report", "--out", "a-file/folder/report.txt")
    assert result.code == 1
    assert "cannot write the report to a-file/folder/report.txt: a-file is not a folder" \
        in result.err
    assert "Traceback" not in result.both
    assert emulator.stats()["total"] == 0
    (workdir / "taken").mkdir()
    assert cli("report", "--out", "taken").code == 1


def test_without_rules_the_report_has_no_findings(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens: {}\n")
    seed_unmanaged(emulator)
    result = cli("report", "--format", "json")
    data = json.loads(result.out)
    assert data["rules"] is None and data["violations"] == [] and data["warnings"] == []
    assert data["summary"]["unmanaged"] == 3


def test_an_organization_without_a_config_file_is_reviewed_without_rules(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    seed_unmanaged(emulator)
    result = cli("report", "--org", "acme", "--format", "json")
    assert result.code == 0, result.both
    data = json.loads(result.out)
    assert data["summary"]["tokens"] == 3 and data["rules"] is None
    missing = cli("report")
    assert missing.code == 1 and "config file pstokens.yaml not found" in missing.err


def test_a_config_named_but_missing_is_an_error_as_for_plan(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_unmanaged(emulator)
    named = cli("report", "-c", "MISSING.yml", "--org", "acme")
    assert named.code == 1 and "config file MISSING.yml not found" in named.err
    assert named.out == "" and emulator.stats()["total"] == 0
    monkeypatch.setenv("PSTOKENS_CONFIG", "pstokns.yaml")  # mistyped
    mistyped = cli("report", "--org", "acme")
    assert mistyped.code == 1 and "config file pstokns.yaml not found" in mistyped.err
    assert emulator.stats()["total"] == 0


def test_report_help_reads_as_a_sentence(cli: Cli) -> None:
    assert "and the rules it breaks." in " ".join(cli("report", "--help").out.split())


def test_a_config_whose_tokens_break_its_own_rules_is_reported_on_not_refused(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    # plan refuses such a config; report is the review that shows what breaks what.
    write_config(workdir / "pstokens.yaml", CONFIG.replace("ttl: 90d", "ttl: 365d"))
    assert cli("plan").code == 1
    result = cli("report", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["organization"] == "acme"
