"""A state file's lock held by a process that is not pstokens (`flock`, say): the
lock file still names the last pstokens run, long exited. The refusal says the
lock is held by another process and that name is stale, never that the exited
run "is still running"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = "organization: acme\ntokens:\n  ci:\n    accesses:\n      organization: [read_databases]\n"


def exited_pid() -> int:
    """The PID of a process that has run and exited."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True, timeout=60)
    return int(done.stdout)


@pytest.fixture
def held(cli: Cli, workdir: Path) -> Iterator[Path]:
    """A state whose lock file names an exited pstokens run on this host, its lock
    held by something else."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    lock_path = workdir / "state" / "acme.json.lock"
    foreign = FileLock(lock_path, mode=0o600)  # takes the flock, writes no name
    foreign.acquire()
    try:  # what the last pstokens run wrote there, long exited
        lock_path.write_text(f"pid {exited_pid()} on {socket.gethostname()} (pstokens "
                             "apply), since 2026-12-07T18:00:00Z")
        yield lock_path
    finally:
        foreign.release()


def test_a_run_refused_by_a_foreign_lock_holder_says_the_recorded_name_is_stale(
    cli: Cli, emulator: Emulator, held: Path
) -> None:
    result = cli("plan")
    assert result.code == 1, result.both
    assert "state file state/acme.json is locked by another process: its lock file names " \
        "pid " in result.err
    assert "(pstokens apply), since 2026-12-07T18:00:00Z, which has exited, so that name is " \
        "stale" in result.err, result.err
    assert "Hint: find the process holding state/acme.json.lock" in result.err


def test_state_unlock_of_a_foreign_held_lock_does_not_call_the_exited_run_running(
    cli: Cli, held: Path
) -> None:
    result = cli("state", "unlock", "0b5c2b8e")
    assert result.code == 1, result.both
    assert "still running" not in result.err
    assert "is locked by another process (its lock file names pid " in result.err
    assert "which has exited)" in result.err


def test_a_live_holder_on_this_host_is_named_as_running(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    lock_path = workdir / "state" / "acme.json.lock"
    lock_path.parent.mkdir()
    holder = FileLock(lock_path, mode=0o600)
    holder.acquire()
    try:
        lock_path.write_text(f"pid {os.getpid()} on {socket.gethostname()} (pstokens apply)")
        unlock = cli("state", "unlock", "0b5c2b8e")
        plan = cli("plan")
    finally:
        holder.release()
    assert "(pstokens apply), which is still running" in unlock.err
    assert plan.err.startswith(f"Error: state file state/acme.json is locked by pid "
                               f"{os.getpid()} on {socket.gethostname()} (pstokens apply)\n")
