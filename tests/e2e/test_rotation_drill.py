"""The rotation drill: programs using a token keep working while it is replaced.

Consumers read their credentials from where `deliver` put them and call the
emulator (which accepts the tokens it issued and refuses deleted ones) every
100 ms while `apply --replace` runs. The engine's clock is moved past the
overlap instead of waiting for it, and the test waits for conditions (a
consumer has made a call after a step), never for a length of time, so no
assertion depends on how threads are scheduled.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pstokens import clock
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from tests.e2e.conftest import API_KEY, Cli, write_config

CONFIG = """\
organization: acme
tokens:
  app:
{overlap}    deliver:
      - dir: secrets
    accesses:
      organization: [read_databases]
"""
WAIT = 30.0  # seconds a condition may take on a loaded machine before the test fails


@dataclass(frozen=True)
class Call:
    step: int  # how many drill steps had finished when the call started
    token_id: str
    status: int


@dataclass
class Consumer:
    """A program using the token: it reads `PLANETSCALE_SERVICE_TOKEN(_ID)` from
    its .env file, before every call (`fresh`) or only when told to reload (a
    deployment that picks up a new secret only when it restarts)."""

    url: str
    env_file: Path
    fresh: bool
    step: Callable[[], int]
    calls: list[Call] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _reload: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="consumer", daemon=True)

    def _credentials(self) -> tuple[str, str]:
        values = dict(line.split("=", 1) for line in self.env_file.read_text().splitlines())
        token_id = values["PLANETSCALE_SERVICE_TOKEN_ID"]
        secret = values["PLANETSCALE_SERVICE_TOKEN"]
        self.secrets.add(secret)
        return token_id, secret

    def _run(self) -> None:
        token_id, secret = self._credentials()
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                if self.fresh or self._reload.is_set():
                    self._reload.clear()
                    token_id, secret = self._credentials()
                step = self.step()
                # list_branch_queries: what the token's read_databases allows.
                answer = http.get(f"{self.url}/organizations/acme/databases/app-prod/branches/"
                                  "main/insights",
                                  headers={"Authorization": f"{token_id}:{secret}"})
                with self._lock:
                    self.calls.append(Call(step, token_id, answer.status_code))
                self._stop.wait(0.1)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)

    def reload(self) -> None:
        self._reload.set()

    def wait_for(self, wanted: Callable[[Call], bool]) -> Call:
        """The first call that matches, waiting for the consumer to make it."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self._lock:
                found = [c for c in self.calls if wanted(c)]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no such call within {WAIT} s: {self.calls[-5:]}")


@dataclass
class Drill:
    cli: Cli
    url: str
    workdir: Path
    now: list[datetime]
    steps: int = 0
    consumers: list[Consumer] = field(default_factory=list)

    def run(self, *args: str) -> tuple[int, str]:
        result = self.cli(*args)
        self.steps += 1  # calls that start from here on see the world this step left
        return result.code, result.out + result.err

    def state(self) -> dict[str, dict[str, object]]:
        tokens: dict[str, dict[str, object]] = json.loads(
            (self.workdir / "state" / "acme.json").read_text()
        )["tokens"]
        return tokens

    def consumer(self, *, fresh: bool) -> Consumer:
        env_file = self.workdir / "secrets" / "acme" / "app.env"
        consumer = Consumer(self.url, env_file, fresh, lambda: self.steps)
        consumer.start()
        self.consumers.append(consumer)
        consumer.wait_for(lambda c: c.status == 200)
        return consumer

    def status(self, token_id: str, secret: str) -> int:
        answer = httpx.get(f"{self.url}/organizations/acme/service-tokens",
                           headers={"Authorization": f"{token_id}:{secret}"})
        return answer.status_code


@pytest.fixture
def drill(workdir: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Drill]:
    now = [datetime.now(UTC)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    store = EmulatorStore()
    with running_emulator(EmulatorSettings(require_auth=f"Bearer {API_KEY}"), store) as url:
        drill = Drill(Cli(capsys, monkeypatch, url), url, workdir, now)
        try:
            yield drill
        finally:
            for consumer in drill.consumers:
                consumer.stop()


def live_ids(drill: Drill, name: str) -> list[str]:
    answer = httpx.get(f"{drill.url}/organizations/acme/service-tokens",
                       headers={"Authorization": f"Bearer {API_KEY}"})
    return [t["id"] for t in answer.json()["data"] if t["name"] == name]


def test_with_overlap_no_consumer_ever_fails_and_one_token_is_left(drill: Drill) -> None:
    write_config(drill.workdir / "pstokens.yaml", CONFIG.format(overlap="    overlap: 3s\n"))
    assert drill.run("apply", "--auto-approve")[0] == 0
    [old_id] = live_ids(drill, "app")
    fast, slow = drill.consumer(fresh=True), drill.consumer(fresh=False)
    old_secret = next(iter(slow.secrets))

    code, shown = drill.run("apply", "--auto-approve", "--replace", "app")
    assert code == 0, shown
    new_id = str(drill.state()["app"]["id"])
    assert new_id != old_id and sorted(live_ids(drill, "app")) == sorted([old_id, new_id])
    replaced = drill.steps
    fast.wait_for(lambda c: c.token_id == new_id)
    # The slow consumer still holds the old secret after the replacement: it works.
    assert slow.wait_for(lambda c: c.step >= replaced).token_id == old_id

    drill.now[0] += timedelta(seconds=1)  # inside the overlap: retiring, not drift
    code, shown = drill.run("plan", "--detailed-exitcode")
    assert code == 0, shown
    assert f"app  id {old_id}  retiring" in shown
    assert drill.run("apply", "--auto-approve")[0] == 0
    assert old_id in live_ids(drill, "app")

    slow.reload()  # the deployment restarts and picks up the new secret
    slow.wait_for(lambda c: c.token_id == new_id)

    drill.now[0] += timedelta(seconds=2, milliseconds=1)  # the overlap has ended
    code, shown = drill.run("plan", "--detailed-exitcode")
    assert code == 2 and f"- app  id {old_id}  (overlap ended)" in shown, shown
    code, shown = drill.run("apply", "--auto-approve")
    assert code == 0, shown
    after = drill.steps
    for consumer in (fast, slow):
        consumer.wait_for(lambda c: c.step >= after)
        consumer.stop()

    calls = fast.calls + slow.calls
    assert [c for c in calls if c.status != 200] == []  # never a 401
    assert any(c.token_id == old_id and c.step >= replaced for c in calls)
    assert drill.status(old_id, old_secret) == 401  # gone after the overlap
    assert live_ids(drill, "app") == [new_id]
    assert drill.state()["app"].get("retiring") == []
    assert drill.run("plan", "--detailed-exitcode")[0] == 0
    printed = "".join(drill.cli.transcript)
    assert not [s for s in fast.secrets | slow.secrets if s in printed]
    assert len(fast.secrets | slow.secrets) == 2


def test_without_overlap_a_consumer_slower_than_delivery_fails(drill: Drill) -> None:
    write_config(drill.workdir / "pstokens.yaml", CONFIG.format(overlap=""))
    assert drill.run("apply", "--auto-approve")[0] == 0
    [old_id] = live_ids(drill, "app")
    slow = drill.consumer(fresh=False)

    code, shown = drill.run("apply", "--auto-approve", "--replace", "app")
    assert code == 0, shown
    replaced = drill.steps
    failed = slow.wait_for(lambda c: c.step >= replaced)
    slow.stop()

    assert (failed.token_id, failed.status) == (old_id, 401)  # its token is already gone
    assert live_ids(drill, "app") == [drill.state()["app"]["id"]]
