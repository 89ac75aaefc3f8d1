"""Leaks end to end: PlanetScale's audit log (the emulator's) says a token leaked, and the
next plan and apply act on it while a consumer keeps using what was delivered.

The consumer reads its `.env` before every call and calls the API with what it
read. So that it is sure to be calling while apply runs, the delete of the
leaked token waits (in the client, as a test hook) until the consumer has made
a call with the new token; nothing here waits for a length of time.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pstokens.api.client import PlanetScaleClient
from pstokens.config.model import TokenSpec
from tests.e2e.conftest import Cli, Emulator, write_config

WAIT = 30.0  # seconds a condition may take on a loaded machine before the test fails
LEAKED = "service_token.token_leaked"
# `retire_when_unused` arrives with retirement on evidence; until then it is not a key.
HAS_RETIRE_WHEN_UNUSED = "retire_when_unused" in {f.name for f in dataclasses.fields(TokenSpec)}

CONFIG = """\
organization: acme
tokens:
  app:
    overlap: 1h
{extra}    deliver:
      - dir: secrets
    accesses:
      organization: [read_databases]
"""


def report_leak(emulator: Emulator, token_id: str) -> None:
    """What PlanetScale does when it finds a secret in public."""
    answer = httpx.post(emulator.url.removesuffix("/v1") + "/_emulator/organizations/acme/"
                        "audit-log", json={"audit_action": LEAKED, "target_id": token_id})
    assert answer.status_code == 201, answer.text


def state_of(workdir: Path) -> dict[str, Any]:
    tokens: dict[str, Any] = json.loads((workdir / "state" / "acme.json").read_text())["tokens"]
    return tokens


class Consumer(threading.Thread):
    """Reads `.env` and calls the API with it, again and again, until stopped."""

    def __init__(self, url: str, env_file: Path) -> None:
        super().__init__(name="consumer", daemon=True)
        self.url, self.env_file = url, env_file
        self.calls: list[tuple[str, int]] = []  # (token ID, status)
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self.stopping.is_set():
                values = dict(line.split("=", 1)
                              for line in self.env_file.read_text().splitlines())
                token_id = values["PLANETSCALE_SERVICE_TOKEN_ID"]
                answer = http.get(f"{self.url}/organizations", headers={
                    "Authorization": f"{token_id}:{values['PLANETSCALE_SERVICE_TOKEN']}"})
                self.calls.append((token_id, answer.status_code))
                self.stopping.wait(0.005)

    def called_with(self, token_id: str) -> bool:
        return any(i == token_id and status == 200 for i, status in list(self.calls))

    def wait_until_called_with(self, token_id: str) -> None:
        deadline = time.monotonic() + WAIT
        while not self.called_with(token_id):
            assert time.monotonic() < deadline, f"no call with {token_id}: {self.calls[-5:]}"
            time.sleep(0.005)


@pytest.fixture
def consumer(emulator: Emulator, workdir: Path) -> Iterator[list[Consumer]]:
    started: list[Consumer] = []
    yield started
    for one in started:
        one.stopping.set()
        one.join(WAIT)


@pytest.mark.parametrize("retire_when_unused", [False, True])
def test_a_leaked_token_is_replaced_and_deleted_in_the_same_apply_while_a_consumer_works(
    cli: Cli, emulator: Emulator, workdir: Path, consumer: list[Consumer],
    monkeypatch: pytest.MonkeyPatch, retire_when_unused: bool,
) -> None:
    if retire_when_unused and not HAS_RETIRE_WHEN_UNUSED:
        pytest.skip("retire_when_unused is not a config key yet")
    extra = "    retire_when_unused: 30m\n" if retire_when_unused else ""
    write_config(workdir / "pstokens.yaml", CONFIG.format(extra=extra))
    assert cli("apply", "--auto-approve").code == 0
    leaked = state_of(workdir)["app"]["id"]
    reader = Consumer(emulator.url, workdir / "secrets" / "acme" / "app.env")
    consumer.append(reader)
    reader.start()
    reader.wait_until_called_with(leaked)

    report_leak(emulator, leaked)
    planned = cli("plan", "--detailed-exitcode")
    assert planned.code == 2, planned.both
    assert "leaked" in planned.out and "(leaked: no overlap)" in planned.out

    # The leaked token's delete waits until the consumer has called with its successor.
    delete = PlanetScaleClient.delete_token

    async def delete_once_moved(self: PlanetScaleClient, org: str, token_id: str) -> None:
        if token_id == leaked:
            new = state_of(workdir)["app"]["id"]
            deadline = time.monotonic() + WAIT
            while not reader.called_with(new):
                assert time.monotonic() < deadline, "the consumer never read the new token"
                await _pause()
        await delete(self, org, token_id)

    monkeypatch.setattr(PlanetScaleClient, "delete_token", delete_once_moved)
    applied = cli("apply", "--auto-approve")

    assert applied.code == 0, applied.both
    new = state_of(workdir)["app"]["id"]
    assert new != leaked
    assert not emulator.store.tokens("acme") or leaked not in {
        t["id"] for t in emulator.store.tokens("acme")}  # gone in the same apply
    assert state_of(workdir)["app"].get("retiring", []) == []
    reader.wait_until_called_with(new)
    reader.stopping.set()
    reader.join(WAIT)
    assert {i for i, _ in reader.calls} == {leaked, new}
    failed = [c for c in reader.calls if c[1] != 200]
    assert failed == [], f"{len(failed)} of {len(reader.calls)} consumer calls failed"
    # The event stays in the log for 15 days; the next plan has nothing left to do.
    again = cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.both


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.005)


def test_a_plan_saved_before_a_leak_is_refused_as_stale(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(extra=""))
    assert cli("apply", "--auto-approve").code == 0
    leaked = state_of(workdir)["app"]["id"]
    assert cli("plan", "--out", "plan.json").code == 0

    report_leak(emulator, leaked)
    stale = cli("apply", "--auto-approve", "plan.json")

    assert stale.code == 1
    assert "stale" in stale.err and "leaked" in stale.err
    assert leaked in {t["id"] for t in emulator.store.tokens("acme")}  # nothing was done


def test_a_leaked_unmanaged_token_is_a_violation_and_json_says_so(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens: {}\n")
    hand, _ = emulator.store.create_token("acme", "made-by-hand")
    report_leak(emulator, hand["id"])

    planned = cli("plan", "--detailed-exitcode", "--format", "json")

    assert planned.code == 2
    document = json.loads(planned.out)
    assert [(v["rule"], v["token_id"]) for v in document["violations"]] == [
        ("leaked", hand["id"])]
    assert document["leak_check"]["status"] == "checked"
    assert document["leak_check"]["leaked"] == [hand["id"]]
    assert document["changes"] == []  # unmanaged.policy is report: never deleted


def test_credentials_without_read_audit_logs_skip_the_check_with_one_note(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager, secret = emulator.store.create_token("acme", "pstokens-runner")
    emulator.store.grant("acme", manager["id"], ["read_service_tokens", "write_service_tokens",
                                                 "delete_service_tokens"])
    monkeypatch.delenv("PLANETSCALE_API_KEY")
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN_ID", manager["id"])
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN", secret)
    write_config(workdir / "pstokens.yaml", "organization: acme\nunmanaged:\n  except: "
                                            "[pstokens-runner]\ntokens: {}\n")

    planned = cli("plan", "--detailed-exitcode")

    assert planned.code == 0, planned.both
    assert planned.out.count("leak check skipped") == 1
    assert "read_audit_logs" in planned.out
    assert "No changes" in planned.out
    assert "Error" not in planned.err
