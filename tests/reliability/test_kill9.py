"""kill -9 at random points of a real `pstokens apply`, then one apply must converge.

Three kinds of kill point, drawn from a seed:
- `api N`: the emulator kills the client the moment it has performed the Nth
  write (create, grant, revoke, delete), so the answer never arrives;
- `file before|after N`: the client kills itself at its Nth file replacement
  (state, backup or delivered secret), around the rename;
- `time T`: an outside kill after T seconds, against a slow emulator.
After each: the state and its backup load, and one apply converges: one live
token per key, no orphan, exact accesses, delivered secrets that work, the
next plan empty. A short run does the same with the state in S3 (moto's
server), where a killed apply leaves its lock object: the next apply is
refused naming it, and `state unlock ID` clears the way, as a user would.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    ROOT,
    SUBPROCESS_TIMEOUT,
    GuardedCli,
    LeakGuard,
    check_organization,
    mirror_s3_state,
    state_is_valid,
    subprocess_env,
)
from tests.reliability.killpoints import Servers, command_for, emulators, killed_at_api_write
from tests.reliability.scenarios import OVERLAP_KEYS, evolve, random_scenario
from tests.s3server import S3

QUICK_KILLS = 5
LONG_KILLS = 36
QUICK_S3_KILLS = 2
LONG_S3_KILLS = 12
KINDS = ("api", "file", "time")
S3_KINDS = ("api", "time")  # "file" counts local file writes: with S3 state, secrets only


@dataclass
class Tally:
    tried: int = 0
    landed: dict[str, int] = field(default_factory=dict)
    pending_seen: int = 0  # kills that left a create intent in state
    retiring_seen: int = 0  # kills that left a replaced token still to delete
    overlap_kept: int = 0  # tokens of keys with overlap that had to survive a trial
    retiring_left: int = 0  # replaced tokens still live in their overlap after converging
    unlocked: int = 0  # S3 locks a killed run left, removed with `state unlock`


@pytest.fixture
def servers() -> Iterator[Servers]:
    with emulators(seed=9) as both:
        yield both


def planned_writes(cli: GuardedCli) -> int:
    plan = cli("plan", "--format", "json")
    assert plan.code == 0, plan.both
    changes = json.loads(plan.out)["changes"]
    return sum(2 if c["action"] == "replace" else 1 for c in changes)


def killed_apply(
    servers: Servers, cwd: Path, kind: str, point: float, when: str, guard: LeakGuard,
    **extra_env: str,
) -> int:
    """Run `pstokens apply` in a process and kill it at the point; its exit status."""
    command = command_for(kind, when, point, ["apply", "--auto-approve"])
    env = subprocess_env(servers.url(kind), **extra_env)
    with killed_at_api_write(servers, kind, point) as victim:
        process = victim.process = subprocess.Popen(
            command, cwd=cwd, env=env | {"PYTHONPATH": str(ROOT)}, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        timeout = point if kind == "time" else SUBPROCESS_TIMEOUT
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    guard.text(f"killed apply ({kind} {when} {point})", out + err)
    return process.returncode


def converge_apply(cli: GuardedCli, remote: S3 | None, tally: Tally) -> None:
    """One apply after the kill; on S3 state, unlock first what the killed run left."""
    result = cli("apply", "--auto-approve")
    if remote is not None and result.code == 1 and "pstokens state unlock " in result.err:
        lock_id = result.err.split("pstokens state unlock ")[1].split()[0].strip("`")
        unlocked = cli("state", "unlock", lock_id)
        assert unlocked.code == 0, unlocked.both
        tally.unlocked += 1
        result = cli("apply", "--auto-approve")
    assert result.code == 0, result.both


def one_trial(
    rng: random.Random, trial: int, servers: Servers, base: Path, cli: GuardedCli,
    monkeypatch: pytest.MonkeyPatch, guard: LeakGuard, tally: Tally, remote: S3 | None = None,
) -> bool:
    org = f"kill{trial}"
    work = base / org
    work.mkdir()
    monkeypatch.chdir(work)
    extra_env: dict[str, str] = {}
    if remote is not None:
        extra_env["PSTOKENS_STATE"] = remote.url(f"{org}.json")
        monkeypatch.setenv("PSTOKENS_STATE", extra_env["PSTOKENS_STATE"])
    config = work / "pstokens.yaml"
    before = random_scenario(rng, org)
    after = evolve(rng, before)
    if rng.random() < 0.3:
        before.tokens = {}  # a first apply: nothing yet
    for key in sorted(OVERLAP_KEYS & set(before.tokens) & set(after.tokens)):
        # Every other trial replaces the overlap keys (a new ttl), without a draw.
        if trial % 2 == 0:
            wish = after.tokens[key]
            after.tokens[key] = replace(wish, ttl=86400 if wish.ttl != 86400 else 7 * 86400)
    config.write_text(before.yaml())
    assert cli("apply", "--auto-approve").code == 0
    config.write_text(after.yaml())
    writes = planned_writes(cli)
    if writes == 0:
        return False

    # Tokens of keys with `overlap` that stay in the config: whatever the kill,
    # none may be deleted within the hour (a replacement only retires them).
    state_path = work / "state" / f"{org}.json"
    if remote is not None:
        mirror_s3_state(remote, f"{org}.json", state_path, guard)
    recorded = json.loads(state_path.read_text())["tokens"] if state_path.exists() else {}
    kept = {r["id"] for k, r in recorded.items() if k in OVERLAP_KEYS & set(after.tokens)}

    kinds = KINDS if remote is None else S3_KINDS
    kind = kinds[tally.tried % len(kinds)]
    when = rng.choice(["before", "after"])
    point: float
    if kind == "api":
        point = rng.randint(1, writes)
    elif kind == "file":
        point = rng.randint(1, 1 + writes)
    else:
        point = rng.uniform(0.4, 0.6 + 0.06 * writes)
    status = killed_apply(servers, work, kind, point, when, guard, **extra_env)
    tally.tried += 1
    landed = status == -signal.SIGKILL

    if remote is not None:
        mirror_s3_state(remote, f"{org}.json", state_path, guard)
    assert state_is_valid(state_path, org)
    if landed:
        tally.landed[kind] = tally.landed.get(kind, 0) + 1
        if state_path.exists():
            records = json.loads(state_path.read_text())["tokens"].values()
            tally.pending_seen += any(r["pending_since"] for r in records)
            tally.retiring_seen += any(r["retiring"] for r in records)
    else:
        assert status == 0, f"trial {trial}: apply ended {status} without being killed"

    converge_apply(cli, remote, tally)
    if remote is not None:
        mirror_s3_state(remote, f"{org}.json", state_path, guard)
    plan = cli("plan", "--format", "json")
    assert json.loads(plan.out)["changes"] == [], f"trial {trial}: {plan.out}"
    verdict = check_organization(
        servers.store, org, config, state_path,
        managed_names=set(before.tokens) | set(after.tokens),
        secrets_dir=work / ".pstokens" / "secrets",
    )
    assert verdict.problems == [], (
        f"trial {trial} ({kind} {when} {point}): {verdict.problems} {state_path.read_text()}"
    )
    live = {t["id"] for t in servers.store.tokens(org)}
    assert kept - live == set(), f"trial {trial}: deleted inside their overlap: {kept - live}"
    tally.overlap_kept += len(kept)
    tally.retiring_left += verdict.retiring
    return landed


def run_kills(
    seed: int, wanted: int, servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, guard: LeakGuard, remote: S3 | None = None,
) -> Tally:
    rng = random.Random(seed)
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    cli = GuardedCli(guard, capsys, monkeypatch, servers.fast)
    tally = Tally()
    trial = 0
    while sum(tally.landed.values()) < wanted:
        assert trial < 4 * wanted, f"only {tally.landed} kills landed in {trial} trials"
        one_trial(rng, trial, servers, tmp_path, cli, monkeypatch, guard, tally, remote)
        trial += 1
    with capsys.disabled():
        unlocked = f", stale S3 locks unlocked {tally.unlocked}" if remote else ""
        print(f"\nkill -9{' (S3 state)' if remote else ''}: {tally.tried} applies, "
              f"kills landed {tally.landed}{unlocked}, "
              f"intents left {tally.pending_seen}, replaced tokens left {tally.retiring_seen}, "
              f"overlap tokens kept {tally.overlap_kept} (retiring after converging "
              f"{tally.retiring_left})")
    return tally


def test_kill9_at_random_points_then_one_apply_converges(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    tally = run_kills(20260114, QUICK_KILLS, servers, tmp_path, capsys, monkeypatch, leak_guard)
    assert sum(tally.landed.values()) >= QUICK_KILLS
    assert tally.retiring_left > 0  # replacements with overlap were among them


@pytest.mark.slow
def test_kill9_at_thirty_six_points_then_one_apply_converges(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    tally = run_kills(7_000_001, LONG_KILLS, servers, tmp_path, capsys, monkeypatch, leak_guard)
    assert sum(tally.landed.values()) >= LONG_KILLS
    assert set(tally.landed) == {"api", "file", "time"}


def test_kill9_with_s3_state_then_unlock_and_one_apply_converges(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard, s3: S3,
) -> None:
    tally = run_kills(20261201, QUICK_S3_KILLS, servers, tmp_path, capsys, monkeypatch,
                      leak_guard, s3)
    assert sum(tally.landed.values()) >= QUICK_S3_KILLS
    assert tally.unlocked >= 1  # a killed apply leaves its lock; the ID in the error frees it


@pytest.mark.slow
def test_kill9_at_twelve_points_with_s3_state_then_one_apply_converges(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard, s3: S3,
) -> None:
    tally = run_kills(8_000_001, LONG_S3_KILLS, servers, tmp_path, capsys, monkeypatch,
                      leak_guard, s3)
    assert set(tally.landed) == set(S3_KINDS)


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill9_around_a_secret_file_write_leaves_the_token_to_replace(
    when: str, servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    org = f"secretkill{when}"
    scenario = random_scenario(random.Random(5), org, keys=2)
    (tmp_path / "pstokens.yaml").write_text(scenario.yaml())
    status = killed_apply(servers, tmp_path, "file", 1, f"{when}-.env", leak_guard)
    assert status == -signal.SIGKILL

    state_path = tmp_path / "state" / f"{org}.json"
    records = json.loads(state_path.read_text())["tokens"]
    assert not all(r["delivered"] for r in records.values())  # one secret never arrived
    secrets = tmp_path / ".pstokens" / "secrets" / org
    stray = [p for p in secrets.iterdir() if p.suffix == ".tmp"]
    assert len(stray) == (1 if when == "before" else 0)
    # A half-written copy may stay behind, 0600 in the 0700 folder, until the
    # next apply replaces its token, delivers the new secret and clears it.
    leak_guard.allow(secrets)
    leftovers = {path: path.read_text() for path in stray}

    cli = GuardedCli(leak_guard, capsys, monkeypatch, servers.fast)
    assert cli("apply", "--auto-approve").code == 0
    assert json.loads(cli("plan", "--format", "json").out)["changes"] == []
    verdict = check_organization(
        servers.store, org, tmp_path / "pstokens.yaml", state_path,
        managed_names=set(scenario.tokens), secrets_dir=tmp_path / ".pstokens" / "secrets",
    )
    assert verdict.problems == []
    assert [p for p in secrets.iterdir() if p.suffix == ".tmp"] == []
    for text in leftovers.values():
        token_id = text.split("PLANETSCALE_SERVICE_TOKEN_ID=")[1].split()[0]
        assert token_id not in {t["id"] for t in servers.store.tokens(org)}
