"""Crash-safe apply: lost answers, failed deliveries and interrupted replacements.

Each test loses or breaks one precise step of an apply (the answer to a create,
a delete, a secret delivery, a grant), then checks what the promise says: no
duplicate, no orphan, nobody else's token touched, and one more apply converges.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Emulator, write_config
from tests.reliability.conftest import (
    GuardedCli,
    Losses,
    check_organization,
    is_create,
    is_delete,
    is_grant,
)

CONFIG = """\
organization: acme
unmanaged:
  policy: report
tokens:
  ci:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
  reporter:
    accesses:
      databases:
        analytics: [read_branch]
"""
KEYS = {"ci", "reporter"}
CREATE_ROUTE = "POST /v1/organizations/{organization}/service-tokens"
DELETE_ROUTE = "DELETE /v1/organizations/{organization}/service-tokens/{token_id}"


def state_of(workdir: Path) -> dict:
    return json.loads((workdir / "state" / "acme.json").read_text())


def assert_converged(emulator: Emulator, workdir: Path, cli: GuardedCli,
                     foreign: frozenset[str] = frozenset(), names: set[str] = KEYS) -> None:
    verdict = check_organization(
        emulator.store, "acme", workdir / "pstokens.yaml", workdir / "state" / "acme.json",
        managed_names=names, foreign=set(foreign),
        secrets_dir=workdir / ".pstokens" / "secrets",
    )
    assert verdict.problems == []
    plan = cli("plan", "--format", "json")
    assert plan.code == 0, plan.both
    assert json.loads(plan.out)["changes"] == []


@pytest.mark.parametrize("how", ["drop", "timeout", "reset", "502", "500"])
def test_a_lost_create_is_cleared_and_retried_in_the_same_apply(
    how: str, cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    losses.add(is_create, times=1, how=how)

    result = cli("apply", "--auto-approve")

    assert result.code == 0, result.both
    assert losses.lost == ["POST /v1/organizations/acme/service-tokens"]
    assert emulator.calls(CREATE_ROUTE) == 3  # one lost, then one per key
    assert emulator.calls(DELETE_ROUTE) == 1  # what the lost create made
    assert_converged(emulator, workdir, cli)


def test_a_create_lost_every_time_leaves_an_intent_the_next_plan_adopts(
    cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.split("  reporter:")[0])
    losses.add(is_create, times=3)

    failed = cli("apply", "--auto-approve")

    assert failed.code == 1
    assert "may or may not have been created" in failed.err
    record = state_of(workdir)["tokens"]["ci"]
    assert record["id"] is None and record["pending_since"] is not None
    [lost] = emulator.by_name("ci")  # the first two were found and deleted

    plan = cli("plan", "--format", "json")
    [replace] = [c for c in json.loads(plan.out)["changes"] if c["action"] == "replace"]
    assert replace["token_id"] == lost["id"]
    assert "lost" in replace["reason"]
    assert json.loads(plan.out)["unmanaged"] == []  # adopted, not reported as someone else's

    assert cli("apply", "--auto-approve").code == 0
    assert lost["id"] not in {t["id"] for t in emulator.tokens()}  # no secret: replaced
    assert_converged(emulator, workdir, cli, names={"ci"})


def test_a_lost_create_never_takes_an_older_token_of_the_same_name(
    cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses
) -> None:
    # Made by hand a minute before pstokens ran: same name, not pstokens' to delete.
    theirs, _ = emulator.store.create_token(
        "acme", "ci", created_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    write_config(workdir / "pstokens.yaml", CONFIG)
    losses.add(is_create, times=1)

    assert cli("apply", "--auto-approve").code == 0

    assert theirs["id"] in {t["id"] for t in emulator.tokens()}
    assert_converged(emulator, workdir, cli, foreign=frozenset({theirs["id"]}))


def test_an_older_token_of_the_same_name_survives_a_crash_and_recovery(
    cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses
) -> None:
    theirs, _ = emulator.store.create_token(
        "acme", "ci", created_at=datetime.now(UTC) - timedelta(seconds=30)
    )
    write_config(workdir / "pstokens.yaml", CONFIG.split("  reporter:")[0])
    losses.add(is_create, times=3)
    assert cli("apply", "--auto-approve").code == 1  # three creates lost: intent stays

    plan = json.loads(cli("plan", "--format", "json").out)
    assert theirs["id"] not in {c["token_id"] for c in plan["changes"]}
    assert cli("apply", "--auto-approve").code == 0

    assert theirs["id"] in {t["id"] for t in emulator.tokens()}
    assert_converged(emulator, workdir, cli, foreign=frozenset({theirs["id"]}), names={"ci"})


def test_a_lost_delete_answer_is_retried_and_counts_as_done(
    cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses
) -> None:
    config = workdir / "pstokens.yaml"
    write_config(config, CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    write_config(config, CONFIG.split("  reporter:")[0])
    losses.add(is_delete, times=1)

    result = cli("apply", "--auto-approve")

    assert result.code == 0, result.both
    assert losses.lost
    assert emulator.by_name("reporter") == []
    assert_converged(emulator, workdir, cli)


def test_a_lost_grant_answer_is_retried_without_a_second_grant(
    cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    losses.add(is_grant, times=2)
    assert cli("apply", "--auto-approve").code == 0
    assert_converged(emulator, workdir, cli)


def failing_command(workdir: Path) -> str:
    script = workdir / "fail.sh"
    script.write_text("#!/bin/sh\ncat > /dev/null\nexit 3\n")
    script.chmod(0o700)
    return str(script)


def test_an_undelivered_secret_is_replaced_by_the_next_apply(
    cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)

    failed = cli("apply", "--auto-approve", "--secrets-command", failing_command(workdir))

    assert failed.code == 1
    assert "exited with status 3" in failed.err
    # Delivered nowhere: deleted again in the same apply, nothing left to replace.
    assert state_of(workdir)["tokens"] == {} and emulator.tokens() == []
    plan = json.loads(cli("plan", "--format", "json").out)
    assert sorted(c["key"] for c in plan["changes"] if c["action"] == "create") == [
        "ci", "reporter"]

    assert cli("apply", "--auto-approve").code == 0
    assert_converged(emulator, workdir, cli)


def test_a_replacement_whose_secret_is_not_delivered_keeps_the_old_token(
    cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    working = state_of(workdir)["tokens"]["ci"]["id"]
    command = failing_command(workdir)

    before = state_of(workdir)["tokens"]["ci"]
    for _ in range(2):  # twice: the second plan must not give up on the working token
        failed = cli("apply", "--auto-approve", "--replace", "ci", "--secrets-command", command)
        assert failed.code == 1
        assert {t["id"] for t in emulator.by_name("ci")} == {working}
        assert state_of(workdir)["tokens"]["ci"] == before  # exactly as it was

    assert cli("apply", "--auto-approve", "--replace", "ci").code == 0
    assert working not in {t["id"] for t in emulator.tokens()}
    assert_converged(emulator, workdir, cli)


def test_a_replacement_whose_grants_fail_keeps_the_old_token(
    cli: GuardedCli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    working = state_of(workdir)["tokens"]["ci"]["id"]

    real = httpx.AsyncHTTPTransport.handle_async_request

    async def forbidden(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        if is_grant(request):
            return httpx.Response(403, json={"code": "forbidden", "message": "Forbidden"})
        return await real(self, request)

    with monkeypatch.context() as patch:
        patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", forbidden)
        failed = cli("apply", "--auto-approve", "--replace", "ci")
    assert failed.code == 1
    # The new one, which lacks its accesses, was never delivered and is gone again.
    assert {t["id"] for t in emulator.by_name("ci")} == {working}

    assert cli("apply", "--auto-approve", "--replace", "ci").code == 0
    assert working not in {t["id"] for t in emulator.tokens()}
    assert_converged(emulator, workdir, cli)


def test_duplicates_of_a_lost_create_are_tracked_until_deleted(
    cli: GuardedCli, emulator: Emulator, workdir: Path, losses: Losses,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.split("  reporter:")[0])
    losses.add(is_create, times=3)
    assert cli("apply", "--auto-approve").code == 1
    # A second lost copy, as a create retried by a proxy would leave.
    emulator.store.create_token("acme", "ci")
    assert len(emulator.by_name("ci")) == 2

    # The recovering apply creates a fresh token, then crashes before its deletes.
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def no_deletes(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        if is_delete(request):
            return httpx.Response(403, json={"code": "forbidden", "message": "Forbidden"})
        return await real(self, request)

    with monkeypatch.context() as patch:
        patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", no_deletes)
        assert cli("apply", "--auto-approve").code == 1
    assert len(emulator.by_name("ci")) == 3

    assert cli("apply", "--auto-approve").code == 0
    assert_converged(emulator, workdir, cli, names={"ci"})
