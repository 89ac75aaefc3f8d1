"""PRODUCT.md "Rotation", verification: a new token is tried with its own credentials
before it replaces anything; one the API refuses leaves the old token working."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config

CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
"""


def works(emulator: Emulator, token_id: str, secret: str) -> bool:
    answer = httpx.get(emulator.url + "/organizations",
                       headers={"Authorization": f"{token_id}:{secret}"})
    return answer.status_code == 200


def test_a_replacement_that_fails_verification_keeps_the_old_token_working(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.reset_stats()
    assert cli("apply", "--auto-approve").code == 0
    assert emulator.calls("GET /v1/organizations") == 1  # the new token was verified
    state = json.loads((workdir / "state" / "acme.json").read_text())
    old_id = state["tokens"]["ci-deploy"]["id"]
    old_secret = secrets_in(workdir / ".pstokens")["ci-deploy"]
    before = [t for t in emulator.tokens() if t["id"] == old_id]

    emulator.store.refuse(name="ci-deploy")  # its next token's credentials are refused
    result = cli("apply", "--auto-approve", "--replace", "ci-deploy")
    assert result.code == 1
    state = json.loads((workdir / "state" / "acme.json").read_text())
    new_id = state["tokens"]["ci-deploy"]["id"]
    assert new_id != old_id
    assert f"new token {new_id} for ci-deploy failed verification" in result.both
    # The old token stays exactly as it was, and still works.
    assert [t for t in emulator.tokens() if t["id"] == old_id] == before
    assert works(emulator, old_id, old_secret)
    assert state["tokens"]["ci-deploy"]["verified"] is False
    assert state["tokens"]["ci-deploy"]["retiring"] == [old_id]

    # The next plan replaces the unverified token; once one verifies, both old ones go.
    plan = cli("plan")
    assert f"-/+ ci-deploy  id {new_id}  (its credentials failed verification)" in plan.out
    emulator.store.refuse(name="ci-deploy", refused=False)
    assert cli("apply", "--auto-approve").code == 0
    live = {t["id"] for t in emulator.tokens()}
    assert old_id not in live and new_id not in live and len(live) == 1
    final = json.loads((workdir / "state" / "acme.json").read_text())["tokens"]["ci-deploy"]
    assert "verified" not in final  # verified: the default, not written
    assert works(emulator, final["id"], secrets_in(workdir / ".pstokens")["ci-deploy"])
    assert cli("plan", "--detailed-exitcode").code == 0


def test_a_first_token_that_fails_verification_exits_1_and_is_replaced_next_time(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.store.refuse(name="ci-deploy")
    result = cli("apply", "--auto-approve")
    assert result.code == 1 and "failed verification" in result.both
    emulator.store.refuse(name="ci-deploy", refused=False)
    assert cli("apply", "--auto-approve").code == 0
    assert len(emulator.tokens()) == 1
