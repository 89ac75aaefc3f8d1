"""The emulator in its own process, so its CPU does not share the client's GIL.

Starts `python -m pstokens emulator` on a free loopback port, waits until it
answers, reads and resets its request counters, and always stops it.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

STARTUP_TIMEOUT = 20.0


@dataclass(frozen=True)
class EmulatorProcess:
    url: str  # the API base, http://127.0.0.1:PORT/v1

    @property
    def _admin(self) -> str:
        return self.url.removesuffix("/v1") + "/_emulator"

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(self._admin + "/stats").json()
        return data

    def reset_stats(self) -> None:
        httpx.post(self._admin + "/stats/reset").raise_for_status()


@contextlib.contextmanager
def emulator_process(*, latency_ms: float, rate_limit: int = 0) -> Iterator[EmulatorProcess]:
    """Run an in-memory emulator until the block ends."""
    port = _free_port()
    command = [
        sys.executable, "-m", "pstokens", "emulator",
        "--host", "127.0.0.1", "--port", str(port),
        "--latency-ms", str(latency_ms), "--rate-limit", str(rate_limit),
    ]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        emulator = EmulatorProcess(f"http://127.0.0.1:{port}/v1")
        _wait_until_ready(emulator, process)
        yield emulator
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(emulator: EmulatorProcess, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with status {process.returncode}")
        try:
            emulator.stats()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start in time") from None
            time.sleep(0.05)
