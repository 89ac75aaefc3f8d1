"""PRODUCT.md "Rotation", verification: after its grants and before any delivery, a new
token makes one call as itself, a GET its grants allow; one the API refuses is deleted
in the same apply, the token it replaces stays exactly as it was, apply exits 1."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config
from tests.e2e.test_delivery import pstokens

CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
"""
BRANCHES = "GET /v1/organizations/{organization}/databases/{database}/branches"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal is not asked again for 30 s here: the emulator's refusals last."""
    monkeypatch.setattr("pstokens.engine.applying.verify.PATIENCE", 0.0)


def branches(emulator: Emulator, token_id: str, secret: str) -> int:
    answer = httpx.get(emulator.url + "/organizations/acme/databases/app-prod/branches",
                       headers={"Authorization": f"{token_id}:{secret}"})
    return answer.status_code


def state(workdir: Path) -> dict[str, object]:
    return json.loads((workdir / "state" / "acme.json").read_text())["tokens"]  # type: ignore[no-any-return]


def test_the_plan_says_how_and_apply_verifies_through_that_get(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    plan = cli("plan")
    assert "      verified by list_branches on app-prod\n" in plan.out
    saved = json.loads(cli("plan", "--format", "json").out)
    assert saved["changes"][0]["verify"] == {"operation": "list_branches",
                                             "database": "app-prod"}
    emulator.reset_stats()
    assert cli("apply", "--auto-approve").code == 0
    assert emulator.calls(BRANCHES) == 1 and emulator.calls("GET /v1/organizations") == 0
    token_id = state(workdir)["ci-deploy"]["id"]  # type: ignore[index]
    assert branches(emulator, token_id, secrets_in(workdir / ".pstokens")["ci-deploy"]) == 200


def test_a_replacement_that_fails_verification_keeps_the_old_token_working(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    before_state = state(workdir)
    old_id = before_state["ci-deploy"]["id"]  # type: ignore[index]
    old_secret = secrets_in(workdir / ".pstokens")["ci-deploy"]
    before = [t for t in emulator.tokens() if t["id"] == old_id]

    emulator.store.refuse(name="ci-deploy")  # its next token's credentials are refused
    result = cli("apply", "--auto-approve", "--replace", "ci-deploy")
    assert result.code == 1
    assert "failed verification by list_branches on app-prod" in result.err
    assert "; deleted again; " in result.err and f"{old_id}, the token it replaces, is kept" \
        in result.err
    # The old token stays exactly as it was, still works, and nobody got another.
    assert [t["id"] for t in emulator.by_name("ci-deploy")] == [old_id]
    assert [t for t in emulator.tokens() if t["id"] == old_id] == before
    assert secrets_in(workdir / ".pstokens")["ci-deploy"] == old_secret
    assert branches(emulator, old_id, old_secret) == 200
    assert state(workdir)["ci-deploy"] == before_state["ci-deploy"]

    emulator.store.refuse(name="ci-deploy", refused=False)
    assert cli("apply", "--auto-approve", "--replace", "ci-deploy").code == 0
    [new] = emulator.by_name("ci-deploy")
    assert new["id"] != old_id
    assert branches(emulator, new["id"], secrets_in(workdir / ".pstokens")["ci-deploy"]) == 200
    assert cli("plan", "--detailed-exitcode").code == 0


def test_a_first_token_that_fails_verification_exits_1_and_leaves_nothing(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.store.refuse(name="ci-deploy")
    result = cli("apply", "--auto-approve")
    assert result.code == 1 and "failed verification" in result.both
    assert emulator.tokens() == [] and "ci-deploy" not in state(workdir)
    assert not (workdir / ".pstokens" / "secrets" / "acme" / "ci-deploy.env").exists()
    emulator.store.refuse(name="ci-deploy", refused=False)
    assert cli("apply", "--auto-approve").code == 0
    assert len(emulator.tokens()) == 1


def test_ctrl_c_during_verification_says_the_new_token_exists_unverified_and_undelivered(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    old_id = state(workdir)["ci-deploy"]["id"]  # type: ignore[index]
    old_secret = secrets_in(workdir / ".pstokens")["ci-deploy"]
    emulator.store.refuse(name="ci-deploy")  # refused: apply keeps asking for 30 s
    emulator.reset_stats()
    run = pstokens(workdir, "apply", "--auto-approve", "--replace", "ci-deploy")
    try:
        while emulator.calls(BRANCHES) == 0:  # its first verification call was answered
            assert run.poll() is None, run.communicate()
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    [new] = [t for t in emulator.by_name("ci-deploy") if t["id"] != old_id]
    assert run.returncode == 130 and "Traceback" not in err
    assert (f"  ci-deploy: {new['id']} exists, not verified, delivered nowhere; {old_id}, "
            "the token it replaces, is kept\n") in err
    assert secrets_in(workdir / ".pstokens")["ci-deploy"] == old_secret
    # The next plan replaces the one left behind; the old one goes once a new one works.
    emulator.store.refuse(name="ci-deploy", refused=False)
    assert cli("apply", "--auto-approve").code == 0
    assert [t["id"] for t in emulator.by_name("ci-deploy")] not in ([old_id], [new["id"]])
    assert cli("plan", "--detailed-exitcode").code == 0
