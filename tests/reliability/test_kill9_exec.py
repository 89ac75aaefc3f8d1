"""kill -9 at random points of a real `pstokens exec`, then one `lease sweep` once expired.

Kill points, drawn from a seed, named by where they land:
- `file before|after N`: at the Nth replacement of the state file (1: the
  intent, 2: the lease's ID, 3: its removal), so before the create, between
  the create and its state write, and between the delete and its state write;
- `api N`: the emulator kills the client the moment it performed the Nth write
  (1: the create, its answer lost; 2-4: the grants; 5: the delete);
- `command`: while COMMAND runs (it has said so);
- `time T`: an outside kill after T seconds, against a slow emulator.
After each: every lease token the emulator ever made had an expiry, state
records every lease with one, the managed token is untouched, and `lease
sweep` with the clock moved past every ttl (no real wait) leaves no lease in
the organization or in state.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import (
    ROOT,
    SUBPROCESS_TIMEOUT,
    GuardedCli,
    LeakGuard,
    subprocess_env,
)
from tests.reliability.killpoints import Servers, command_for, emulators, killed_at_api_write

PROBE = ROOT / "tests" / "e2e" / "exec_probe.py"
QUICK_KILLS = 4  # one of each kind
LONG_KILLS = 36
KINDS = ("file", "api", "command", "time")
EXEC_WRITES = 5  # 1 create, 3 grants (organization and two databases), 1 delete
STATE_WRITES = 3  # the intent, the ID, the removal
CONFIG = """\
organization: {org}
tokens:
  ci-deploy:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
        app-staging: [read_branch]
"""


@dataclass
class Tally:
    tried: int = 0
    points: list[str] = field(default_factory=list)  # where each landed kill hit
    leases_left: int = 0  # lease tokens live right after a kill
    intents_left: int = 0  # leases in state without an ID right after a kill
    swept: int = 0


@pytest.fixture
def servers() -> Iterator[Servers]:
    with emulators(seed=21) as both:
        yield both


def lease_tokens(servers: Servers, org: str) -> list[dict[str, Any]]:
    return [t for t in servers.store.tokens(org) if "+lease-" in (t["name"] or "")]


def killed_exec(
    servers: Servers, work: Path, org: str, kind: str, point: float, when: str,
    guard: LeakGuard,
) -> tuple[int, int | None]:
    """Run `pstokens exec` in a process, kill it at the point: (its status, COMMAND's pid)."""
    report = work / "report.json"
    mode = "wait" if kind == "command" else ""
    args = ["exec", "ci-deploy", "--ttl", "5m", "--", sys.executable, str(PROBE),
            str(report), "0", *([mode] if mode else [])]
    env = subprocess_env(servers.url(kind), PROBE_STATE=str(work / "state" / f"{org}.json"))
    command = command_for(kind, f"{when}-{org}.json", point, args)
    with killed_at_api_write(servers, kind, point) as victim:
        process = victim.process = subprocess.Popen(
            command, cwd=work, env=env, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kind == "command":
            ready = Path(str(report) + ".ready")
            while not ready.exists() and process.poll() is None:
                _wait_a_moment()
            process.kill()
        timeout = point if kind == "time" else SUBPROCESS_TIMEOUT
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SUBPROCESS_TIMEOUT)
    assert process.stderr is not None
    guard.text(f"killed exec ({kind} {when} {point})", process.stderr.read())
    process.stderr.close()
    child = json.loads(report.read_text())["pid"] if report.exists() else None
    return process.returncode, child


def _wait_a_moment() -> None:
    # Polling a condition (COMMAND wrote its marker), not waiting for a time.
    import time

    time.sleep(0.01)


def one_trial(
    rng: random.Random, trial: int, servers: Servers, base: Path, cli: GuardedCli,
    monkeypatch: pytest.MonkeyPatch, guard: LeakGuard, tally: Tally,
) -> bool:
    org = f"lease{trial}"
    work = base / org
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "pstokens.yaml").write_text(CONFIG.format(org=org))
    assert cli("apply", "--auto-approve").code == 0
    managed = servers.store.tokens(org)
    assert len(managed) == 1
    before = (managed[0], servers.store.accesses(org, managed[0]["id"]))

    kind = KINDS[tally.tried % len(KINDS)]
    when = rng.choice(["before", "after"])
    point: float
    if kind == "file":
        point = rng.randint(1, STATE_WRITES)
    elif kind == "api":
        point = rng.randint(1, EXEC_WRITES)
    else:
        point = rng.uniform(0.3, 1.2)
    status, child = killed_exec(servers, work, org, kind, point, when, guard)
    tally.tried += 1
    if child is not None:  # COMMAND outlived pstokens: end it as its owner would
        with _gone():
            os.kill(child, signal.SIGKILL)
    landed = status == -signal.SIGKILL
    if not landed:
        assert status == 0, f"trial {trial}: exec ended {status} without being killed"
        return False
    where = {"file": f"state write {int(point)} ({when})", "api": f"api write {int(point)}",
             "command": "COMMAND running", "time": f"after {point:.2f}s"}[kind]
    tally.points.append(f"{kind}: {where}")

    # Right after the kill: no lease without an expiry, anywhere.
    leases = lease_tokens(servers, org)
    assert all(t["expires_at"] for t in leases), leases
    state_path = work / "state" / f"{org}.json"
    recorded = json.loads(state_path.read_text()).get("leases", {})
    assert all(r["expires_at"] for r in recorded.values()), recorded
    assert {t["name"] for t in leases} <= set(recorded), "a live lease state does not know"
    tally.leases_left += len(leases)
    tally.intents_left += sum(1 for r in recorded.values() if r["id"] is None)

    # Once every ttl passed (the clock moved, not waited for), one sweep clears all.
    later = datetime.now(UTC) + timedelta(hours=1)
    with pytest.MonkeyPatch.context() as clock:
        clock.setattr("pstokens.clock.now", lambda: later)
        swept = cli("lease", "sweep")
    assert swept.code == 0, swept.both
    assert lease_tokens(servers, org) == [], f"trial {trial} ({where}): {swept.out}"
    assert json.loads(state_path.read_text()).get("leases", {}) == {}
    tally.swept += 1
    # The managed token was never touched.
    (after,) = servers.store.tokens(org)
    assert (after, servers.store.accesses(org, after["id"])) == (
        {**before[0], "last_used_at": after["last_used_at"]}, before[1])
    return True


class _gone:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *rest: object) -> bool:
        return kind is ProcessLookupError


def run_kills(
    seed: int, wanted: int, servers: Servers, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, guard: LeakGuard,
) -> Tally:
    rng = random.Random(seed)
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    tally = Tally()
    trial = 0
    while len(tally.points) < wanted:
        assert trial < 4 * wanted, f"only {len(tally.points)} kills landed in {trial} trials"
        cli = GuardedCli(guard, capsys, monkeypatch, servers.fast)
        one_trial(rng, trial, servers, tmp_path, cli, monkeypatch, guard, tally)
        trial += 1
    with capsys.disabled():
        print(f"\nkill -9 of exec: {tally.tried} execs, {len(tally.points)} kills landed, "
              f"leases live after a kill {tally.leases_left}, intents without an ID "
              f"{tally.intents_left}, sweeps leaving 0 leases {tally.swept}; points:")
        for point in tally.points:
            print(f"  {point}")
    return tally


def test_kill9_of_exec_at_random_points_then_sweep_leaves_no_lease(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    tally = run_kills(20261204, QUICK_KILLS, servers, tmp_path, capsys, monkeypatch, leak_guard)
    assert len(tally.points) >= QUICK_KILLS


@pytest.mark.slow
def test_kill9_of_exec_at_thirty_six_points_then_sweep_leaves_no_lease(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    tally = run_kills(21_000_021, LONG_KILLS, servers, tmp_path, capsys, monkeypatch, leak_guard)
    assert len(tally.points) >= LONG_KILLS
    assert {p.split(":")[0] for p in tally.points} == set(KINDS)
