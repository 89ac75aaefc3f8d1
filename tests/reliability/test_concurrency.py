"""Two runs on one state file: one proceeds, the other fails at once naming it, or waits.

Real processes against a real emulator. The emulator holds the first create
until the test lets it go, so the run holding the lock is still holding it
when the second starts: no sleep decides the outcome.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from pstokens.emulator import EmulatorSettings, running_emulator
from pstokens.errors import LockHeld
from pstokens.state import FileStateStore
from pstokens.state import store as state_store
from tests.reliability.conftest import (
    SUBPROCESS_TIMEOUT,
    LeakGuard,
    RecordingStore,
    check_organization,
    pstokens_command,
    subprocess_env,
)

CONFIG = """\
organization: acme
unmanaged:
  policy: ignore
tokens:
  ci:
    accesses:
      databases:
        app-prod: [read_branch]
  auditor:
    accesses:
      organization: [read_audit_logs]
"""
HOLD_LIMIT = 60.0  # the gate opens by itself after this, so a broken test cannot hang


@dataclass
class Gate:
    """Holds every create in the emulator until opened; says when the first one arrived."""

    store: RecordingStore
    url: str
    arrived: threading.Event
    released: threading.Event

    def hook(self, operation: str, phase: str) -> None:
        if operation == "create" and phase == "before":
            self.arrived.set()
            self.released.wait(HOLD_LIMIT)

    def open(self) -> None:
        self.released.set()


@pytest.fixture
def gate() -> Iterator[Gate]:
    store = RecordingStore()
    with running_emulator(EmulatorSettings(), store) as url:
        gate = Gate(store, url, threading.Event(), threading.Event())
        store.hook = gate.hook
        try:
            yield gate
        finally:
            gate.open()


@dataclass
class Run:
    process: subprocess.Popen[str]
    args: tuple[str, ...]

    def finish(self, guard: LeakGuard) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=SUBPROCESS_TIMEOUT)
        guard.text(f"pstokens {' '.join(self.args)}", out + err)
        return self.process.returncode, out, err


def start(workdir: Path, url: str, *args: str) -> Run:
    process = subprocess.Popen(
        pstokens_command(*args), cwd=workdir, env=subprocess_env(url), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    return Run(process, args)


def wait_for_exit(*runs: Run, deadline: float = SUBPROCESS_TIMEOUT) -> Run:
    """The first of `runs` to exit (polling, with a generous deadline)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for run in runs:
            if run.process.poll() is not None:
                return run
        time.sleep(0.02)
    raise AssertionError("no run exited")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "pstokens.yaml").write_text(CONFIG)
    return tmp_path


def holder_pid(message: str) -> int:
    found = re.search(r"locked by pid (\d+)", message)
    assert found, message
    return int(found.group(1))


def test_two_applies_started_together_exactly_one_proceeds(
    gate: Gate, workdir: Path, leak_guard: LeakGuard
) -> None:
    first = start(workdir, gate.url, "apply", "--auto-approve")
    second = start(workdir, gate.url, "apply", "--auto-approve")

    loser = wait_for_exit(first, second)
    winner = second if loser is first else first
    code, out, err = loser.finish(leak_guard)
    assert winner.process.poll() is None  # it cannot finish before the gate opens
    gate.open()
    won = winner.finish(leak_guard)

    assert code == 1
    assert out == ""
    assert err.startswith("Error: state file state/acme.json is locked by pid "), err
    assert holder_pid(err) == winner.process.pid
    assert "--lock-timeout" in err  # the hint says how to wait instead
    assert "Traceback" not in err
    assert won[0] == 0, won
    assert len(gate.store.tokens("acme")) == 2  # one run made them, once
    verdict = check_organization(gate.store, "acme", workdir / "pstokens.yaml",
                                 workdir / "state" / "acme.json", managed_names={"ci", "auditor"})
    assert verdict.problems == []


def test_plan_during_an_apply_fails_at_once_naming_the_holder(
    gate: Gate, workdir: Path, leak_guard: LeakGuard
) -> None:
    applying = start(workdir, gate.url, "apply", "--auto-approve")
    assert gate.arrived.wait(SUBPROCESS_TIMEOUT)  # the apply holds the lock and is mid-create

    planning = start(workdir, gate.url, "plan")
    code, out, err = planning.finish(leak_guard)
    gate.open()
    applied = applying.finish(leak_guard)

    assert code == 1 and out == ""
    assert holder_pid(err) == applying.process.pid
    assert applied[0] == 0
    FileStateStore(workdir / "state" / "acme.json").load("acme")


def test_with_lock_timeout_the_second_apply_waits_then_succeeds(
    gate: Gate, workdir: Path, leak_guard: LeakGuard
) -> None:
    first = start(workdir, gate.url, "apply", "--auto-approve")
    assert gate.arrived.wait(SUBPROCESS_TIMEOUT)
    second = start(workdir, gate.url, "apply", "--auto-approve", "--lock-timeout", "120")

    # The second says it waits once it has met the held lock (had it not waited, its
    # first line would be the error, after 120 s at most); only then does the gate open.
    assert second.process.stderr is not None
    waiting = second.process.stderr.readline()
    assert waiting.startswith("state file state/acme.json is locked by pid "), waiting
    assert waiting.rstrip().endswith("; waiting up to 120 s")
    assert second.process.poll() is None
    gate.open()
    done_first = first.finish(leak_guard)
    done_second = second.finish(leak_guard)

    assert done_first[0] == 0, done_first
    assert done_second[0] == 0, done_second
    assert "No changes." in done_second[1]  # it planned after the first had applied
    assert len(gate.store.tokens("acme")) == 2
    state = json.loads((workdir / "state" / "acme.json").read_text())
    assert set(state["tokens"]) == {"ci", "auditor"}


def test_a_lock_timeout_that_runs_out_fails_naming_the_holder(
    gate: Gate, workdir: Path, leak_guard: LeakGuard
) -> None:
    first = start(workdir, gate.url, "apply", "--auto-approve")
    assert gate.arrived.wait(SUBPROCESS_TIMEOUT)
    second = start(workdir, gate.url, "apply", "--auto-approve", "--lock-timeout", "0.5")
    code, _, err = second.finish(leak_guard)
    gate.open()
    assert first.finish(leak_guard)[0] == 0
    assert code == 1
    assert holder_pid(err) == first.process.pid
    assert len(gate.store.tokens("acme")) == 2


def test_state_rm_and_import_also_respect_the_lock(
    gate: Gate, workdir: Path, leak_guard: LeakGuard
) -> None:
    applying = start(workdir, gate.url, "apply", "--auto-approve")
    assert gate.arrived.wait(SUBPROCESS_TIMEOUT)
    removing = start(workdir, gate.url, "state", "rm", "ci")
    importing = start(workdir, gate.url, "import", "ci", "abcdefabcdef")
    results = [removing.finish(leak_guard), importing.finish(leak_guard)]
    gate.open()
    assert applying.finish(leak_guard)[0] == 0
    for code, _, err in results:
        assert code == 1
        assert holder_pid(err) == applying.process.pid
    assert set(json.loads((workdir / "state" / "acme.json").read_text())["tokens"]) == {
        "ci", "auditor"
    }


def test_a_run_that_loses_the_race_by_a_hair_still_names_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder writes who it is just after taking the lock; a run refused in
    between waits for those words instead of saying "another pstokens run"."""
    store = FileStateStore(tmp_path / "state" / "acme.json")
    store.lock_path.parent.mkdir(parents=True)
    waits: list[float] = []

    def holder_writes_while_we_wait(seconds: float) -> None:
        waits.append(seconds)
        store.lock_path.write_text("pid 4242 on ci (pstokens apply)")

    monkeypatch.setattr(state_store.time, "sleep", holder_writes_while_we_wait)
    holder = FileLock(store.lock_path, mode=0o600)
    holder.acquire()  # taken, and nothing written yet
    try:
        with pytest.raises(LockHeld) as refused, store.locked():
            pass
    finally:
        holder.release()
    assert "locked by pid 4242 on ci (pstokens apply)" in str(refused.value)
    assert len(waits) == 1
