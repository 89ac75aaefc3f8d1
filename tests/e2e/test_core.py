"""The core cycle against a real emulator over loopback: plan, apply, converge."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from tests.e2e.conftest import (
    API_KEY,
    Cli,
    Emulator,
    files_containing,
    secrets_in,
    write_config,
)

THREE_TOKENS = """\
organization: acme
unmanaged:
  policy: ignore
tokens:
  ci-deploy:
    ttl: 90d
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
        app-staging: [read_branch, create_branch, delete_branch]
  reporter:
    accesses:
      databases:
        analytics: [read_branch]
  auditor:
    accesses:
      organization: [read_audit_logs]
"""

EXPECTED = {
    "ci-deploy": {(None, "read_databases"), ("app-prod", "read_branch"),
                  ("app-prod", "create_deploy_request"), ("app-staging", "read_branch"),
                  ("app-staging", "create_branch"), ("app-staging", "delete_branch")},
    "reporter": {("analytics", "read_branch")},
    "auditor": {(None, "read_audit_logs")},
}


def live_accesses(token: dict) -> set[tuple[str | None, str]]:
    return {
        (a["resource_name"] if a["resource_type"] == "Database" else None, a["access"])
        for a in token["service_token_accesses"]
    }


def seed_unrelated(emulator: Emulator, count: int) -> None:
    for i in range(count):
        token, _ = emulator.store.create_token("acme", f"unrelated-{i}")
        emulator.store.grant("acme", token["id"], ["read_branch"], "app-prod")


def test_three_tokens_among_forty_unrelated_converge_in_one_apply(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    seed_unrelated(emulator, 40)
    write_config(workdir / "pstokens.yaml", THREE_TOKENS)

    first = cli("plan", "--detailed-exitcode")
    assert first.code == 2, first.both
    assert "Plan: 3 to create, 0 to replace, 0 to delete, 8 accesses to grant, 0 to revoke." \
        in first.out

    applied = cli("apply", "--auto-approve")
    assert applied.code == 0, applied.both
    assert "Apply complete! 3 created" in applied.out

    for key, expected in EXPECTED.items():
        [token] = emulator.by_name(key)
        assert live_accesses(token) == expected
    assert len(emulator.tokens()) == 43

    again = cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.both
    assert again.out.strip().endswith("No changes. The organization matches the configuration.")

    state_file = workdir / "state" / "acme.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state = json.loads(state_file.read_text())
    assert {k: v["id"] for k, v in state["tokens"].items()} == {
        key: emulator.by_name(key)[0]["id"] for key in EXPECTED
    }

    secrets = secrets_in(workdir / ".pstokens" / "secrets")
    assert set(secrets) == set(EXPECTED)
    assert all(s.startswith("pscale_tkn_") for s in secrets.values())
    for key in EXPECTED:
        env_file = workdir / ".pstokens" / "secrets" / "acme" / f"{key}.env"
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert f"PLANETSCALE_SERVICE_TOKEN_ID={emulator.by_name(key)[0]['id']}" in \
            env_file.read_text()
    assert stat.S_IMODE((workdir / ".pstokens" / "secrets").stat().st_mode) == 0o700
    assert (workdir / ".pstokens" / ".gitignore").read_text() == "*\n"  # the topmost it made
    # The secrets are in their .env files and nowhere else: not in output, state or plans.
    everywhere = files_containing(workdir, list(secrets.values()))
    assert sorted(p.name for p in everywhere) == sorted(f"{k}.env" for k in EXPECTED)
    assert not any(s in "".join(cli.transcript) for s in secrets.values())


def test_out_of_band_changes_are_planned_with_reasons_and_one_apply_converges(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", THREE_TOKENS)
    assert cli("apply", "--auto-approve").code == 0
    store, org = emulator.store, "acme"
    ids = {key: emulator.by_name(key)[0]["id"] for key in EXPECTED}

    store.grant(org, ids["ci-deploy"], ["delete_database"], "app-prod")  # extra access
    store.revoke(org, ids["ci-deploy"], ["create_branch"], "app-staging")  # removed access
    store.delete_token(org, ids["reporter"])  # deleted token
    store.set_times(org, ids["auditor"], expires_at=datetime.now(UTC) - timedelta(hours=1))

    plan = cli("plan", "--format", "json", "--detailed-exitcode")
    assert plan.code == 2
    changes = json.loads(plan.out)["changes"]
    by = {(c["action"], c["key"], c["database"]): c for c in changes}
    assert by[("revoke", "ci-deploy", "app-prod")]["accesses"] == ["delete_database"]
    assert by[("grant", "ci-deploy", "app-staging")]["accesses"] == ["create_branch"]
    assert by[("replace", "reporter", None)]["reason"] == "deleted outside pstokens"
    assert by[("replace", "auditor", None)]["reason"] == "expired"
    drift = json.loads(plan.out)["drift"]
    assert {d["description"] for d in drift} >= {
        "delete_database on database app-prod granted outside pstokens",
        "create_branch on database app-staging revoked outside pstokens",
        "token was deleted outside pstokens",
    }
    text = cli("plan").out
    assert "-/+ auditor" in text and "(expired)" in text
    assert "Changed outside pstokens" in text

    assert cli("apply", "--auto-approve").code == 0
    assert cli("plan", "--detailed-exitcode").code == 0
    for key, expected in EXPECTED.items():
        [token] = emulator.by_name(key)
        assert live_accesses(token) == expected
    assert ids["auditor"] not in {t["id"] for t in emulator.tokens()}  # old one deleted


def test_access_change_on_one_database_is_one_api_call(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config = workdir / "pstokens.yaml"
    write_config(config, THREE_TOKENS)
    assert cli("apply", "--auto-approve").code == 0
    write_config(config, THREE_TOKENS.replace(
        "[read_branch, create_branch, delete_branch]",
        "[read_branch, connect_branch, create_branch_password, read_deploy_request]",
    ))
    emulator.reset_stats()
    assert cli("apply", "--auto-approve").code == 0
    access = "/v1/organizations/{organization}/service-tokens/{token_id}/access"
    assert emulator.calls(f"POST {access}") == 1
    assert emulator.calls(f"DELETE {access}") == 1
    [token] = emulator.by_name("ci-deploy")
    assert {a for d, a in live_accesses(token) if d == "app-staging"} == {
        "read_branch", "connect_branch", "create_branch_password", "read_deploy_request"
    }


def test_removed_key_is_deleted_and_forgotten(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    config = workdir / "pstokens.yaml"
    write_config(config, THREE_TOKENS)
    assert cli("apply", "--auto-approve").code == 0
    reporter_id = emulator.by_name("reporter")[0]["id"]
    write_config(config, THREE_TOKENS.split("  reporter:")[0] + "  auditor:\n    accesses:\n"
                 "      organization: [read_audit_logs]\n")
    plan = cli("plan")
    assert f"- reporter  id {reporter_id}  (removed from the configuration)" in plan.out
    assert cli("apply", "--auto-approve").code == 0
    assert emulator.by_name("reporter") == []
    assert "reporter" not in json.loads((workdir / "state" / "acme.json").read_text())["tokens"]


def test_each_delivered_secret_opens_the_api_until_its_token_is_replaced(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proof that delivery hands over the real thing: each .env file's
    credentials authenticate at the API; once apply replaces a token, the old
    ones are refused and the new ones work."""
    store = EmulatorStore()
    settings = EmulatorSettings(require_auth=f"Bearer {API_KEY}")  # only pstokens' own key
    with running_emulator(settings, store) as url:
        cli = Cli(capsys, monkeypatch, url)
        write_config(workdir / "pstokens.yaml", THREE_TOKENS)
        assert cli("apply", "--auto-approve").code == 0

        def delivered() -> dict[str, str]:
            credentials = {}
            for env_file in (workdir / ".pstokens").rglob("*.env"):
                values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
                credentials[env_file.stem] = (
                    f"{values['PLANETSCALE_SERVICE_TOKEN_ID']}:{values['PLANETSCALE_SERVICE_TOKEN']}"
                )
            return credentials

        def status(credential: str) -> int:
            # A call any token may make: the credentials themselves are on trial.
            answer = httpx.get(f"{url}/organizations", headers={"Authorization": credential})
            return answer.status_code

        before = delivered()
        assert sorted(before) == ["auditor", "ci-deploy", "reporter"]
        assert [status(c) for c in before.values()] == [200, 200, 200]
        assert status("someone:made-up") == 401

        assert cli("apply", "--auto-approve", "--replace", "reporter").code == 0
        after = delivered()
        assert after["reporter"] != before["reporter"]
        assert status(before["reporter"]) == 401  # its token is deleted
        assert status(after["reporter"]) == 200
        assert status(after["ci-deploy"]) == 200
