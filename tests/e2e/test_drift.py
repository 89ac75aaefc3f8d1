"""Drift checks in CI: exit codes, JSON and Markdown plans, saved plans, export and adoption."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from tests.e2e.conftest import API_KEY, Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch, create_deploy_request]
  auditor:
    accesses:
      organization: [read_audit_logs]
"""
ROOT = Path(__file__).resolve().parents[2]


def test_detailed_exitcode_is_0_when_nothing_changed(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    assert cli("plan", "--detailed-exitcode").code == 0


def test_detailed_exitcode_is_2_on_changes(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--detailed-exitcode").code == 2
    assert cli("plan").code == 0  # without the flag, changes are not a failure


def test_detailed_exitcode_is_2_on_unmanaged_tokens_only(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    emulator.store.create_token("acme", "made-by-hand")
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 2
    assert "made-by-hand" in result.out
    # Something differs, so the last line never claims there is nothing to do.
    assert "No changes" not in result.out
    assert result.out.splitlines()[-1].endswith("; 1 unmanaged token.")


def test_detailed_exitcode_is_1_on_an_api_error_never_2(cli: Cli, workdir: Path,
                                                          monkeypatch: object) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    os.environ.pop("PLANETSCALE_API_KEY")
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 1
    assert "PLANETSCALE_API_KEY" in result.err


def test_detailed_exitcode_is_1_when_the_api_refuses(workdir: Path, capsys: object,
                                                     monkeypatch: object) -> None:
    from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
    from tests.e2e.conftest import Cli as CliRunner

    write_config(workdir / "pstokens.yaml", CONFIG)
    settings = EmulatorSettings(require_auth="someone:else")
    with running_emulator(settings, EmulatorStore()) as url:
        run = CliRunner(capsys, monkeypatch, url)  # type: ignore[arg-type]
        result = run("plan", "--detailed-exitcode")
    assert result.code == 1
    assert "Traceback" not in result.both
    assert API_KEY not in result.both


def test_json_plan_has_the_documented_fields(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.store.create_token("acme", "stray")
    plan = json.loads(cli("plan", "--format", "json").out)
    assert plan["format_version"] == 1 and plan["layout"] == 4
    assert plan["organization"] == "acme"
    assert set(plan["state"]) == {"lineage", "serial"}
    assert plan["summary"] == {"create": 2, "replace": 0, "delete": 0, "grant": 3, "revoke": 0,
                               "update_state": 0}
    assert [u["name"] for u in plan["unmanaged"]] == ["stray"]
    for change in plan["changes"]:
        assert {"action", "key", "token_id", "database", "accesses", "reason", "cause"} <= set(
            change
        )
    org_grant = next(c for c in plan["changes"] if c["key"] == "auditor" and c["action"] == "grant")
    assert org_grant["database"] is None
    assert [c["action"] for c in plan["changes"]] == [
        "create", "create", "grant", "grant"
    ]
    for create in plan["changes"][:2]:  # nothing to retire; the default folder, resolved
        assert (create["retire"], create["deliver"]) == (None, [{"dir": ".pstokens/secrets"}])
    assert plan["default_deliver"] == [{"dir": ".pstokens/secrets"}]


def test_markdown_for_a_400_token_plan_stays_under_60000_characters(
    cli: Cli, workdir: Path
) -> None:
    tokens = "".join(
        f"  service-{i:03d}:\n    accesses:\n      organization: [read_databases]\n"
        f"      databases:\n        app-prod: [read_branch, connect_branch]\n"
        f"        app-staging: [read_branch, create_branch, delete_branch]\n"
        for i in range(400)
    )
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n" + tokens)
    result = cli("plan", "--format", "markdown")
    assert result.code == 0
    assert len(result.out) < 60_000
    assert "**Plan: 400 to create" in result.out
    assert "rows cut to stay under 60,000 characters" in result.out
    assert "| create | service-000 |" in result.out


def test_saved_plan_applies_exactly_when_nothing_moved(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "plan.json").code == 0
    result = cli("apply", "plan.json")
    assert result.code == 0, result.both
    assert len(emulator.tokens()) == 2


def test_saved_plan_is_stale_after_an_out_of_band_change(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    emulator.store.grant("acme", emulator.by_name("auditor")[0]["id"], ["read_invoices"])
    assert cli("plan", "--out", "plan.json").code == 0
    emulator.store.grant("acme", emulator.by_name("auditor")[0]["id"], ["write_teams"])
    result = cli("apply", "plan.json")
    assert result.code == 1
    assert "saved plan is stale" in result.err
    token = emulator.by_name("auditor")[0]
    held = {a["access"] for a in token["service_token_accesses"]}
    assert {"read_invoices", "write_teams"} <= held


def test_saved_plan_is_stale_after_another_apply(cli: Cli, emulator: Emulator,
                                                 workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "plan.json").code == 0
    assert cli("apply", "--auto-approve").code == 0
    result = cli("apply", "plan.json")
    assert result.code == 1
    assert "saved plan is stale" in result.err
    assert len(emulator.tokens()) == 2


def test_export_then_import_by_name_then_plan_shows_no_changes(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    store = emulator.store
    a, _ = store.create_token("acme", "deployer", ttl=30 * 86400)
    store.grant("acme", a["id"], ["read_branch", "create_deploy_request"], "app-prod")
    store.grant("acme", a["id"], ["read_databases"])
    b, _ = store.create_token("acme", "reader")
    store.grant("acme", b["id"], ["read_branch"], "analytics")
    store.create_token("acme", "bare")

    exported = cli("export", "--org", "acme")
    assert exported.code == 0, exported.both
    (workdir / "pstokens.yaml").write_text(exported.out)
    assert cli("validate").code == 0
    assert yaml.safe_load(exported.out)["tokens"]["deployer"]["ttl"] == "30d"

    imported = cli("import", "--by-name")
    assert imported.code == 0, imported.both
    assert "Imported 3 tokens by name." in imported.out
    final = cli("plan", "--detailed-exitcode")
    assert final.code == 0, final.both
    assert "No changes. The organization matches the configuration." in final.out


def test_export_makes_repeated_and_invalid_names_into_unique_valid_keys(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    for name in ("Deploy Bot", "twin", "twin", None):
        emulator.store.create_token("acme", name)
    exported = cli("export", "--org", "acme")
    keys = list(yaml.safe_load(exported.out)["tokens"])
    assert "deploy-bot" in keys and "twin" in keys and "twin-2" in keys
    assert any(k.startswith("token-") for k in keys)
    assert "pstokens import" in exported.out  # how to adopt the renamed ones
    (workdir / "pstokens.yaml").write_text(exported.out)
    assert cli("validate").code == 0
