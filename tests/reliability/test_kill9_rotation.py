"""kill -9 at every step of a rotation's order, then one apply must converge.

Each trial replaces two tokens (grants on two databases each, delivered to a
store command and then a folder) with `apply --replace` in a real process,
and kills it at one step of create → grant → verify → deliver → retire:
- `after create`: once the emulator made the first new token;
- `between grants`: once it took the first of a new token's two grants;
- `during verification`: as the first new token's verification call arrives;
- `between destinations`: the store command, having stored the first
  destination, kills pstokens before the folder is written;
- `before retire`: as the first replaced token's delete arrives.
After each kill, no destination holds a token that is deleted, refused or
short of its grants (what a consumer would read must work); then one apply
converges: one live token per key, no orphan, exact accesses, and every
destination holds the key's live token.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from pstokens.emulator import EmulatorSettings, running_emulator
from tests.reliability.conftest import (
    ROOT,
    SUBPROCESS_TIMEOUT,
    GuardedCli,
    LeakGuard,
    RecordingStore,
    check_organization,
    pstokens_command,
    state_is_valid,
    subprocess_env,
)
from tests.reliability.consumers import Destination

STEPS = ("after create", "between grants", "during verification", "between destinations",
         "before retire")
KEYS = ("svc-a", "svc-b")
DATABASES = ("app-prod", "app-staging")
QUICK_ROUNDS = 1  # kills per step in the regular suite
LONG_ROUNDS = 8  # 40 kills under --long

# Stores stdin in a file atomically; when the kill switch is there, it is used up
# and pstokens (the nearest ancestor running `-m pstokens`) is killed.
KILLING_STORE = """\
import os, signal, sys
out, switch = sys.argv[1], sys.argv[2]
data = sys.stdin.read()
tmp = out + ".tmp"
with open(tmp, "w") as handle:
    handle.write(data)
os.replace(tmp, out)
try:
    os.unlink(switch)
except FileNotFoundError:
    sys.exit(0)
pid = os.getppid()
while pid > 1:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        if b"pstokens" in handle.read():
            os.kill(pid, signal.SIGKILL)
            sys.exit(0)
    with open(f"/proc/{pid}/stat") as handle:
        pid = int(handle.read().rsplit(")", 1)[1].split()[1])
"""


class StepStore(RecordingStore):
    """A recording store that also tells the hook when a new token is first used
    (its verification: nothing else calls with a new token's credentials here)."""

    def __init__(self) -> None:
        super().__init__(seed=25)
        self.fresh: set[str] = set()  # tokens made since `fresh` was last cleared

    def create_token(self, org: str, name: str | None = None, ttl: int | None = None,
                     **options: object) -> tuple[dict[str, object], str]:
        token, secret = super().create_token(org, name, ttl, **options)  # type: ignore[arg-type]
        self.fresh.add(str(token["id"]))
        return token, secret

    def authenticate(self, token_id: str, secret: str) -> bool | None:
        if token_id in self.fresh and self.hook is not None:
            self.hook("verify", "before")
        return super().authenticate(token_id, secret)


@dataclass
class Tally:
    landed: dict[str, int] = field(default_factory=dict)
    held_after_kill: int = 0  # destinations found holding a token after a kill, all working


@pytest.fixture
def store() -> StepStore:
    return StepStore()


@pytest.fixture
def url(store: StepStore) -> Iterator[str]:
    with running_emulator(EmulatorSettings(), store) as served:
        yield served


def write_config(work: Path) -> dict[str, list[Destination]]:
    program = work / "killing_store.py"
    program.write_text(KILLING_STORE)
    (work / "store").mkdir(exist_ok=True)
    tokens: dict[str, object] = {}
    where: dict[str, list[Destination]] = {}
    for key in KEYS:
        stored = Destination("env", work / "store" / f"{key}.env", work.name, key)
        folder = Destination("dir", work / "secrets", work.name, key)
        where[key] = [stored, folder]
        tokens[key] = {
            "deliver": [
                {"command": f"{sys.executable} {program} {stored.path} {work / 'switch'}",
                 "stdin": "env"},
                {"dir": str(folder.path)},
            ],
            "accesses": {"databases": {db: ["read_branch"] for db in DATABASES}},
        }
    document = {"organization": work.name, "safety": {"max_delete_percent": 100},
                "tokens": tokens}
    (work / "pstokens.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return where


def killed_replace(store: StepStore, url: str, work: Path, step: str, guard: LeakGuard) -> int:
    """`apply --replace` every key in a process, killed at `step`; its exit status."""
    process: subprocess.Popen[str] | None = None
    seen = {"create": 0, "grant": 0, "verify": 0, "delete": 0}
    aim = {"after create": ("create", "after"), "between grants": ("grant", "after"),
           "during verification": ("verify", "before"), "before retire": ("delete", "before")}

    def hook(operation: str, phase: str) -> None:
        if operation in seen and phase == "before":
            seen[operation] += 1
        wanted = aim.get(step)
        if wanted == (operation, phase) and process is not None:
            store.hook = None
            os.kill(process.pid, signal.SIGKILL)

    store.fresh.clear()
    if step == "between destinations":
        (work / "switch").touch()
    else:
        store.hook = hook
    args = ["apply", "--auto-approve", *[a for k in KEYS for a in ("--replace", k)]]
    try:
        process = subprocess.Popen(
            pstokens_command(*args), cwd=work, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=subprocess_env(url) | {"PYTHONPATH": str(ROOT)},
        )
        out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        store.hook = None
        (work / "switch").unlink(missing_ok=True)
    guard.text(f"apply killed {step}", out + err)
    return process.returncode


def working(store: StepStore, org: str, destination: Destination) -> str | None:
    """What a consumer of `destination` would find wrong with the token it holds."""
    read = destination.read()
    if read is None:
        return None
    token_id, secret = read
    live = {str(t["id"]): t for t in store.tokens(org)}
    if token_id not in live:
        return f"{destination.key} ({destination.kind}) holds deleted {token_id}"
    if not store.secret_matches(org, token_id, secret) or token_id in store._refused:
        return f"{destination.key} ({destination.kind}) holds refused {token_id}"
    granted = {a["resource_name"] for a in live[token_id]["service_token_accesses"]}
    if granted != set(DATABASES):
        return f"{destination.key} ({destination.kind}) holds {token_id} granted only {granted}"
    return None


def one_trial(step: str, number: int, store: StepStore, url: str, base: Path, cli: GuardedCli,
              monkeypatch: pytest.MonkeyPatch, guard: LeakGuard, tally: Tally) -> None:
    org = f"rot{number}s{STEPS.index(step)}"
    work = base / org
    work.mkdir()
    monkeypatch.chdir(work)
    where = write_config(work)
    first = cli("apply", "--auto-approve")
    assert first.code == 0, first.both

    status = killed_replace(store, url, work, step, guard)
    assert status == -signal.SIGKILL, f"{step}: apply ended {status} without being killed"
    tally.landed[step] = tally.landed.get(step, 0) + 1
    state_path = work / "state" / f"{org}.json"
    assert state_is_valid(state_path, org)
    wrong = [w for d in where.values() for dest in d if (w := working(store, org, dest))]
    assert wrong == [], f"{step}: {wrong}"
    tally.held_after_kill += sum(1 for d in where.values() for dest in d if dest.read())

    converged = cli("apply", "--auto-approve")
    assert converged.code == 0, converged.both
    plan = cli("plan", "--format", "json")
    assert json.loads(plan.out)["changes"] == [], f"{step}: {plan.out}"
    verdict = check_organization(store, org, work / "pstokens.yaml", state_path,
                                 managed_names=set(KEYS), secrets_dir=work / "secrets")
    assert verdict.problems == [], f"{step}: {verdict.problems}"
    recorded = json.loads(state_path.read_text())["tokens"]
    for key, destinations in where.items():
        for destination in destinations:
            assert working(store, org, destination) is None
            read = destination.read()
            assert read is not None and read[0] == recorded[key]["id"], (step, key)
    guard.allow(work / "store")


def run_kills(rounds: int, store: StepStore, url: str, tmp_path: Path,
              capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
              guard: LeakGuard) -> Tally:
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    cli = GuardedCli(guard, capsys, monkeypatch, url)
    tally = Tally()
    for number in range(rounds):
        for step in STEPS:
            one_trial(step, number, store, url, tmp_path, cli, monkeypatch, guard, tally)
    with capsys.disabled():
        print(f"\nkill -9 through a rotation's order: {sum(tally.landed.values())} kills "
              f"landed {tally.landed}; {tally.held_after_kill} destinations held a token "
              f"after a kill, every one working; every trial converged in one apply")
    return tally


def test_kill9_at_each_step_of_a_rotation_then_one_apply_converges(
    store: StepStore, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    tally = run_kills(QUICK_ROUNDS, store, url, tmp_path, capsys, monkeypatch, leak_guard)
    assert set(tally.landed) == set(STEPS)


@pytest.mark.slow
def test_kill9_forty_times_through_a_rotation_then_one_apply_converges(
    store: StepStore, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    tally = run_kills(LONG_ROUNDS, store, url, tmp_path, capsys, monkeypatch, leak_guard)
    assert sum(tally.landed.values()) >= 40
