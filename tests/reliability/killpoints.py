"""What the kill -9 trials of `apply` and `exec` share: two emulators over one
recording store, the command for each kind of kill point, and the kill that
lands as the emulator takes the Nth API write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pstokens.emulator import EmulatorSettings, running_emulator
from tests.reliability.conftest import RecordingStore, pstokens_command

SLOW_LATENCY_MS = 60.0


@dataclass
class Servers:
    store: RecordingStore
    fast: str
    slow: str  # for kills on a timer: calls take long enough to be caught mid-flight

    def url(self, kind: str) -> str:
        return self.slow if kind == "time" else self.fast


@contextmanager
def emulators(seed: int) -> Iterator[Servers]:
    store = RecordingStore(seed=seed)
    with running_emulator(EmulatorSettings(), store) as fast, running_emulator(
        EmulatorSettings(latency_ms=SLOW_LATENCY_MS), store
    ) as slow:
        yield Servers(store, fast, slow)


def command_for(kind: str, marker: str, point: float, args: Sequence[str]) -> list[str]:
    """`pstokens ARGS`; for a kill at a file write, run under the killer, which
    kills at write number `point` (`marker` names the run's record of writes)."""
    if kind == "file":
        return [sys.executable, "-m", "tests.reliability.killer", marker, str(int(point)),
                "--", *args]
    return pstokens_command(*args)


class Victim:
    """The process a kill point is aimed at, once it is started."""

    process: subprocess.Popen[str] | None = None


@contextmanager
def killed_at_api_write(servers: Servers, kind: str, point: float) -> Iterator[Victim]:
    """For kind `api`: SIGKILL the victim once the emulator took `point` writes."""
    victim = Victim()

    def kill_at_nth_write(operation: str, phase: str) -> None:
        if phase == "after" and servers.store.writes >= point and victim.process is not None:
            servers.store.hook = None
            os.kill(victim.process.pid, signal.SIGKILL)

    servers.store.writes = 0
    if kind == "api":
        servers.store.hook = kill_at_nth_write
    try:
        yield victim
    finally:
        servers.store.hook = None
