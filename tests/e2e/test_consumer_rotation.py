"""A consumer watching its `.env` through `apply --replace` never holds a token that
cannot do its job (issue 25: 48 of 588 calls got 403, 35 of 101 got 401).

The consumer reads its destination every 10 ms and lists a database's branches with
what it read. A call fails the test when it gets 403 (the token lacked its grants) or
401 while the file still holds that token (an unverified token was delivered). A 401
after the file moved on is the old token retired at once (overlap 0), which a
consumer reading again already left.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  app:
    accesses:
      databases:
        app-prod: [read_branch]
        app-staging: [create_branch]
"""
ROTATIONS = 6


def read_env(path: Path) -> tuple[str, str] | None:
    try:
        lines = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    except FileNotFoundError:
        return None
    return lines["PLANETSCALE_SERVICE_TOKEN_ID"], lines["PLANETSCALE_SERVICE_TOKEN"]


@dataclass
class Consumer:
    env: Path
    url: str
    calls: int = 0
    failures: list[tuple[str, int]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def call_once(self) -> None:
        held = read_env(self.env)
        if held is None:
            return
        token_id, secret = held
        answer = httpx.get(f"{self.url}/organizations/acme/databases/app-prod/branches",
                           headers={"Authorization": f"{token_id}:{secret}"})
        self.calls += 1
        self.seen.add(token_id)
        still = read_env(self.env)
        if answer.status_code == 403 or (
                answer.status_code == 401 and still is not None and still[0] == token_id):
            self.failures.append((token_id, answer.status_code))

    def watch(self, stop: threading.Event) -> None:
        while not stop.wait(0.01):
            self.call_once()


def test_a_consumer_never_reads_a_token_lacking_its_grants_or_unverified(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pstokens.engine.applying.verify.PATIENCE", 0.0)  # refusals here last
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    consumer = Consumer(workdir / ".pstokens" / "secrets" / "acme" / "app.env", emulator.url)
    stop = threading.Event()
    watcher = threading.Thread(target=consumer.watch, args=(stop,))
    watcher.start()
    refused: list[str] = []
    try:
        for rotation in range(ROTATIONS):
            if rotation == ROTATIONS // 2:  # PlanetScale refuses this one's new token
                emulator.store.refuse(name="app")
                result = cli("apply", "--auto-approve", "--replace", "app")
                found = re.search(r"new token (\S+) failed verification", result.err)
                assert result.code == 1 and found is not None, result.err
                refused.append(found.group(1))
                emulator.store.refuse(name="app", refused=False)
            else:
                assert cli("apply", "--auto-approve", "--replace", "app").code == 0
            consumer.call_once()  # at least one call per rotation, whatever the pace
    finally:
        stop.set()
        watcher.join()
    assert consumer.failures == []
    assert consumer.calls >= ROTATIONS
    [live] = emulator.tokens()
    assert read_env(consumer.env) is not None and read_env(consumer.env)[0] == live["id"]  # type: ignore[index]
    # The refused token never reached the consumer's file.
    assert refused and not set(refused) & consumer.seen
