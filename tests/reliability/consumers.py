"""Consumers that watch: programs reading what pstokens delivered and using it while it works.

A consumer reads its destination (a delivered `.env` file, or the file a
store program wrote from a `command:` destination's stdin) every 10 ms and
calls, with the credentials it read, a GET operation its token's grants allow.
A refused call (401, 403, any answer but 200) is a failure, unless the destination already holds
other credentials when the consumer reads it again: a program that reloads its
credentials when refused, as every program must once an old token is deleted
at once (`overlap` 0). So a token delivered before its grants, or one that
was never verified, is caught; a read that merely raced a rotation is not.
Injected faults (5xx, 429) are not failures: the consumer tries again, as any
client does. Waiting is on conditions (a consumer made a call with a given
token), never on lengths of time.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

INTERVAL = 0.01  # seconds between a consumer's calls
WAIT = 60.0  # seconds a condition may take on a loaded machine before the test fails

# A store program for `command:` destinations: it keeps what it was given on
# stdin in one file, replaced atomically (as a secret store's write is), and
# prints nothing.
STORE_PROGRAM = """\
import os, sys
out = sys.argv[1]
data = sys.stdin.read()
tmp = out + ".tmp"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as handle:
    handle.write(data)
os.replace(tmp, out)
"""


def write_store_program(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "store.py"
    program.write_text(STORE_PROGRAM)
    return program


@dataclass(frozen=True)
class Destination:
    """Where one token's credentials are delivered and how a consumer reads them.

    `kind` is `dir` (pstokens writes `<path>/<org>/<key>.env`), `env` (a
    command given both .env lines on stdin) or `json` (a command given
    `{"id": ..., "token": ...}`); for commands, `path` is the file the store
    program keeps.
    """

    kind: str
    path: Path
    org: str
    key: str

    @property
    def file(self) -> Path:
        if self.kind == "dir":
            return self.path / self.org / f"{self.key}.env"
        return self.path

    def config(self, store_program: Path) -> dict[str, str]:
        """This destination as a `deliver:` entry."""
        if self.kind == "dir":
            return {"dir": str(self.path)}
        return {"command": f"{sys.executable} {store_program} {self.path}", "stdin": self.kind}

    def read(self) -> tuple[str, str] | None:
        """(token ID, secret) as the destination holds them now; None before the first
        delivery or while the file is being replaced."""
        try:
            text = self.file.read_text()
        except OSError:
            return None
        if self.kind == "json":
            try:
                data = json.loads(text)
            except ValueError:
                return None
            ident, secret = data.get("id"), data.get("token")
        else:
            values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
            ident = values.get("PLANETSCALE_SERVICE_TOKEN_ID")
            secret = values.get("PLANETSCALE_SERVICE_TOKEN")
        if not isinstance(ident, str) or not isinstance(secret, str) or not ident or not secret:
            return None
        return ident, secret


@dataclass(frozen=True)
class Call:
    token_id: str
    status: int


@dataclass
class Consumer:
    """One program reading one destination and calling `path` (under the API URL)."""

    url: str
    destination: Destination
    path: str
    calls: list[Call] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"consumer {self.destination.key}", daemon=True
        )

    def start(self) -> Consumer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                self._once(http)
                self._stop.wait(INTERVAL)

    def _once(self, http: httpx.Client) -> None:
        read = self.destination.read()
        if read is None:
            self._count("nothing to read")
            return
        token_id, secret = read
        self.secrets.add(secret)
        try:
            answer = http.get(self.url + self.path,
                              headers={"Authorization": f"{token_id}:{secret}"})
        except httpx.TransportError:
            self._count("transport error")  # the emulator under load; try again
            return
        status = answer.status_code
        if status >= 500 or status == 429:
            self._count("fault")  # injected: a client tries again
            return
        if status != 200:
            if self.destination.read() != read:
                self._count("raced a rotation")  # reloads and tries the new token
                return
            with self._lock:
                self.failures.append(f"{self.destination.key} ({self.destination.kind}): "
                                     f"{status} with {token_id}")
        with self._lock:
            self.calls.append(Call(token_id, status))

    def _count(self, what: str) -> None:
        with self._lock:
            self.outcomes[what] += 1

    def wait_for_call_with(self, token_id: str) -> None:
        """Until this consumer has made a call (of any outcome) with `token_id`."""
        self.wait(lambda c: c.token_id == token_id, f"a call with {token_id}")

    def wait(self, wanted: Callable[[Call], bool], what: str) -> Call:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self._lock:
                found = [c for c in self.calls if wanted(c)]
            if found:
                return found[0]
            if not self._thread.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"{self.destination.key}: no {what} within {WAIT} s; "
                             f"last calls {self.calls[-3:]}, {dict(self.outcomes)}")

    @property
    def failed(self) -> list[str]:
        with self._lock:
            return list(self.failures)

    @property
    def made(self) -> int:
        with self._lock:
            return len(self.calls)


@dataclass
class Tally:
    """Figures for one scenario: the note reports them."""

    rotations: int = 0
    calls: int = 0
    failures: int = 0
    raced: int = 0
    faults: int = 0

    def add(self, consumers: list[Consumer]) -> None:
        for consumer in consumers:
            self.calls += consumer.made
            self.failures += len(consumer.failed)
            self.raced += consumer.outcomes["raced a rotation"]
            self.faults += consumer.outcomes["fault"]


# Scenario name -> its figures, printed at the end of the run (tests/reliability/conftest.py).
FIGURES: dict[str, Tally] = {}


def summary_lines() -> list[str]:
    lines = []
    for name, t in sorted(FIGURES.items()):
        lines.append(f"consumers watching, {name}: {t.rotations} rotations, {t.calls} calls, "
                     f"{t.failures} failed ({t.raced} reads raced a rotation, "
                     f"{t.faults} injected faults retried)")
    if FIGURES:
        total = Tally()
        for t in FIGURES.values():
            total.rotations += t.rotations
            total.calls += t.calls
            total.failures += t.failures
        lines.append(f"consumers watching, all: {total.rotations} rotations, {total.calls} "
                     f"calls, {total.failures} failed")
    return lines
