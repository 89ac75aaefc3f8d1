"""Retirement on evidence, end to end: the CLI against the emulator, whose
`last_used_at` moves with every call a consumer makes.

The engine's and the emulator's clocks are moved together instead of waiting,
and the test waits for conditions (a consumer's call made after the clock
moved), never for a length of time. A consumer that keeps using the old token
keeps it alive; the old token goes only after the quiet period.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pstokens import clock
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from pstokens.notify import send
from tests.e2e.conftest import API_KEY, Cli, write_config
from tests.e2e.test_rotation_drill import WAIT, Consumer, Drill, live_ids
from tests.receiver import receiver

NOTIFY = """\
notify:
  - url_env: PSTOKENS_WEBHOOK
    on: [rotation_stuck]
"""
CONFIG = """\
organization: acme
tokens:
  app:
    retire_when_unused: 30m
    deliver:
      - dir: secrets
    accesses:
      organization: [read_databases]
"""


@pytest.fixture
def drill(workdir: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Drill]:
    """The rotation drill, with the emulator on the engine's clock: a call's
    `last_used_at` is the time the test has moved to."""
    now = [datetime.now(UTC).replace(microsecond=0)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    store = EmulatorStore(clock=lambda: now[0])
    with running_emulator(EmulatorSettings(require_auth=f"Bearer {API_KEY}"), store) as url:
        drill = Drill(Cli(capsys, monkeypatch, url), url, workdir, now)
        try:
            yield drill
        finally:
            for consumer in drill.consumers:
                consumer.stop()


def called_since(consumer: Consumer, count: int) -> None:
    """Wait until `consumer` has started a call after its first `count` ones."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if len(consumer.calls) > count + 1:  # call count+1 started after the mark
            return
        time.sleep(0.02)
    raise AssertionError(f"no call after the mark within {WAIT} s")


def move(drill: Drill, consumer: Consumer, by: timedelta) -> None:
    """Move both clocks, then let `consumer` call at the new time."""
    drill.now[0] += by
    called_since(consumer, len(consumer.calls))


def test_a_consumer_using_the_old_token_keeps_it_alive_until_it_goes_quiet(drill: Drill) -> None:
    write_config(drill.workdir / "pstokens.yaml", CONFIG)
    assert drill.run("apply", "--auto-approve")[0] == 0
    [old_id] = live_ids(drill, "app")
    fast, slow = drill.consumer(fresh=True), drill.consumer(fresh=False)

    code, shown = drill.run("apply", "--auto-approve", "--replace", "app")
    assert code == 0, shown
    assert f"old {old_id} kept until unused for 30m" in shown
    new_id = str(drill.state()["app"]["id"])
    assert sorted(live_ids(drill, "app")) == sorted([old_id, new_id])
    fast.wait_for(lambda c: c.token_id == new_id)

    # Hours later the slow consumer still calls with the old token: it stays.
    move(drill, slow, timedelta(hours=3))
    code, shown = drill.run("plan", "--detailed-exitcode")
    assert code == 0, shown  # still in use is not drift
    assert f"app  id {old_id}  retiring: still in use (last used " in shown
    assert shown.rstrip().endswith("No changes. The organization matches the configuration.")
    assert drill.run("apply", "--auto-approve")[0] == 0
    assert old_id in live_ids(drill, "app")

    slow.reload()  # the deployment restarts and picks up the new secret
    slow.wait_for(lambda c: c.token_id == new_id)
    move(drill, slow, timedelta(minutes=29))  # quiet, but not for 30m yet
    assert drill.run("plan", "--detailed-exitcode")[0] == 0
    assert drill.run("apply", "--auto-approve")[0] == 0
    assert old_id in live_ids(drill, "app")

    move(drill, slow, timedelta(minutes=2))  # PlanetScale last saw it 31m ago
    code, shown = drill.run("plan", "--detailed-exitcode")
    assert code == 2 and f"- app  id {old_id}  (replaced, and PlanetScale has not seen it " \
        "used for retire_when_unused)" in shown, shown
    code, shown = drill.run("apply", "--auto-approve")
    assert code == 0, shown
    after = drill.steps
    for consumer in (fast, slow):
        consumer.wait_for(lambda c: c.step >= after)
        consumer.stop()

    calls = fast.calls + slow.calls
    assert [c for c in calls if c.status != 200] == []  # not one failed call
    assert any(c.token_id == old_id and c.step >= 2 for c in calls)
    assert live_ids(drill, "app") == [new_id]
    assert drill.state()["app"].get("retiring") == []
    assert drill.run("plan", "--detailed-exitcode")[0] == 0
    printed = "".join(drill.cli.transcript)
    assert not [s for s in fast.secrets | slow.secrets if s in printed]


def test_a_rotation_stuck_for_7_days_warns_and_only_apply_force_ends_it(
    drill: Drill, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send, "DEFAULT_POLICY", send.Policy(
        attempts=3, attempt_timeout=0.5, backoff=0.01, deadline=10.0))
    write_config(drill.workdir / "pstokens.yaml", CONFIG + NOTIFY)
    assert drill.run("apply", "--auto-approve")[0] == 0
    [old_id] = live_ids(drill, "app")
    slow = drill.consumer(fresh=False)  # never switches to the new token
    assert drill.run("apply", "--auto-approve", "--replace", "app")[0] == 0

    move(drill, slow, timedelta(days=7))
    with receiver() as hook:
        monkeypatch.setenv("PSTOKENS_WEBHOOK", hook.url)
        code, shown = drill.run("plan", "--detailed-exitcode")
    assert code == 0, shown  # a warning, not a difference
    assert "rotation stuck" in shown and f"replaced token {old_id} is still in use" in shown
    [body] = [json.loads(r.body) for r in hook.requests]
    assert (body["event"], body["summary"]) == ("rotation_stuck", {"rotation_stuck": 1})
    assert body["rotation_stuck"][0]["token_ids"] == [old_id]
    monkeypatch.delenv("PSTOKENS_WEBHOOK")
    sarif = drill.run("plan", "--format", "sarif")[1]
    assert '"ruleId": "rotation_stuck"' in sarif

    code, shown = drill.run("apply", "--auto-approve")
    assert code == 0 and old_id in live_ids(drill, "app"), shown
    code, shown = drill.run("apply", "--auto-approve", "--force")
    assert code == 0, shown
    assert f"- app  id {old_id}  (rotation stuck" in shown
    assert old_id not in live_ids(drill, "app")
    # The consumer that never moved now fails: what --force was asked to do.
    slow.wait_for(lambda c: c.status == 401)


def test_calls_through_the_emulator_move_last_used_at(drill: Drill) -> None:
    write_config(drill.workdir / "pstokens.yaml", CONFIG)
    assert drill.run("apply", "--auto-approve")[0] == 0
    consumer = drill.consumer(fresh=True)
    move(drill, consumer, timedelta(days=2))
    answer = httpx.get(f"{drill.url}/organizations/acme/service-tokens",
                       headers={"Authorization": f"Bearer {API_KEY}"}).json()
    [token] = [t for t in answer["data"] if t["name"] == "app"]
    assert token["last_used_at"].startswith(drill.now[0].strftime("%Y-%m-%dT%H:%M:%S"))
