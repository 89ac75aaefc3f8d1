"""Reading, writing and locking a local state file (the `StateStore` for paths).

Writes are atomic (temporary file, fsync, rename) and keep the previous
version as `<file>.backup`; the file is mode 0600. A lock on `<file>.lock`,
held for a whole plan or apply, records who holds it so a second run can say.
The system releases that lock when its holder dies, so it never goes stale.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from filelock import FileLock, Timeout

from pstokens import clock
from pstokens.defaults import lock_timeout
from pstokens.errors import LockHeld, StateError
from pstokens.expected import PATH, expect
from pstokens.fileio import write_private
from pstokens.fileread import TooLarge, read_bounded
from pstokens.state.base import (
    MAX_STATE_BYTES,
    LockHolder,
    decode_state,
    encode_state,
    too_large,
)
from pstokens.state.model import State

logger = logging.getLogger("pstokens.state")


class FileStateStore:
    """One state file: load it, save new versions of it, lock it."""

    def __init__(self, path: str | Path) -> None:
        expect(path, PATH, "FileStateStore path", "the state file's path, such as "
               "\"state/acme.json\"")
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def load(self, organization: str) -> State:
        """The state on disk, or a new empty one when there is no file yet."""
        try:
            raw = read_bounded(self.path, MAX_STATE_BYTES)
        except FileNotFoundError:
            return State.new(organization)
        except TooLarge:
            raise too_large(f"state file {self.path}", self._backup()) from None
        except IsADirectoryError:
            raise StateError(
                f"state file {self.path} is a folder",
                hint="remove the folder, or pass --state FILE naming the state file itself",
            ) from None
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: "
                             f"{exc.strerror or type(exc).__name__}",
                             hint="name the state file itself (a regular file, not a pipe or "
                             "device) and check its permissions") from None
        return decode_state(raw, organization, source=f"state file {self.path}",
                            backup=self._backup())

    def _backup(self) -> str | None:
        return str(self.backup_path) if self.backup_path.is_file() else None

    def save(self, state: State) -> State:
        """Write `state` with the next serial; returns what was written."""
        written = replace(state, serial=state.serial + 1)
        payload = encode_state(written)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                write_private(self.backup_path, self.path.read_bytes())
            write_private(self.path, payload)
        except OSError as exc:
            raise StateError(
                f"cannot write state file {self.path}: {exc.strerror or type(exc).__name__}",
                hint="check the folder exists and is writable, or pass --state FILE",
            ) from None
        return written

    @contextlib.contextmanager
    def locked(self, timeout: float = 0.0) -> Iterator[None]:
        """Hold the lock for the duration; fail at once (or after `timeout` s) if held."""
        timeout = lock_timeout(timeout)
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(
                f"cannot create the folder of state file {self.path}: "
                f"{exc.strerror or type(exc).__name__}",
                hint="check the folder's parent is writable, or pass --state FILE",
            ) from None
        lock = FileLock(self.lock_path, timeout=timeout, mode=0o600, on_acquired=_record_holder)
        try:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                if not timeout:
                    raise
                # Said once, on stderr (a warning reaches it without --debug).
                logger.warning("state file %s is locked by %s; waiting up to %g s",
                               self.path, _read_holder(self.lock_path), timeout)
                lock.acquire(timeout=timeout, poll_interval=0.05)
        except Timeout:
            holder, running = _holder(self.lock_path)
            if running is False:
                raise LockHeld(
                    f"state file {self.path} is locked by another process: its lock file "
                    f"names {holder}, which has exited, so that name is stale",
                    hint=f"find the process holding {self.lock_path} (`fuser` or `lsof` "
                    "shows it), or pass --lock-timeout SECONDS to wait",
                ) from None
            said = "" if running else ", as its lock file says (perhaps stale)"
            raise LockHeld(
                f"state file {self.path} is locked by {holder}{said}",
                hint="wait for that run to finish, or pass --lock-timeout SECONDS to wait",
            ) from None
        except OSError as exc:
            raise StateError(
                f"cannot lock state file {self.path}: cannot create {self.lock_path} "
                f"({exc.strerror or type(exc).__name__})",
                hint="the state file's folder must be writable: fix its permissions, "
                "or pass --state FILE in a folder you can write",
            ) from None
        try:
            # A lock file left by an earlier run opens even in a folder made read-only
            # since; the state could then not be saved after apply changed the
            # organization. Refused here, before any call, as a missing lock file is.
            if not os.access(self.path.parent, os.W_OK | os.X_OK):
                raise StateError(
                    f"cannot write state file {self.path}: its folder "
                    f"{self.path.parent} is not writable",
                    hint="the state file's folder must be writable: fix its permissions, "
                    "or pass --state FILE in a folder you can write",
                )
            yield
        finally:
            lock.release()

    def unlock(self, lock_id: str) -> LockHolder:
        """A file lock has no stale state to remove: the system drops it with its holder."""
        lock = FileLock(self.lock_path, mode=0o600)
        try:
            if self.lock_path.exists():  # else nothing holds it, and nothing is made
                lock.acquire(timeout=0)
                lock.release()
        except Timeout:
            holder, running = _holder(self.lock_path)
            by = {True: f"{holder}, which is still running",
                  False: f"another process (its lock file names {holder}, which has exited)",
                  None: f"{holder}, as its lock file says (perhaps stale)"}[running]
            raise StateError(
                f"state file {self.path} is locked by {by}",
                hint="a state file's lock ends when its holder exits: wait for it "
                "(`state unlock` is for S3 state, whose lock a killed run leaves behind)",
            ) from None
        except OSError:
            pass  # unreadable: nobody can hold it either
        raise StateError(
            f"state file {self.path} is not locked: there is nothing to unlock",
            hint="a state file's lock ends when its holder exits; `state unlock` is for "
            "S3 state, whose lock a killed run leaves behind",
        )


def _record_holder(fd: int) -> None:
    started = clock.stamp()
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    text = f"pid {os.getpid()} on {socket.gethostname()} ({command}), since {started}"
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)


_RECORDED = re.compile(r"pid (\d+) on (\S+) ")


def _holder(path: Path) -> tuple[str, bool | None]:
    """Who the lock file names, and whether that process still runs: True or
    False for a process of this host, None when pstokens cannot tell (another
    host, or not a name pstokens wrote). The names are a run's last words: a
    process that takes the lock without pstokens (`flock`) writes none."""
    text = "".join(c if c.isprintable() else "?" for c in _read_holder(path))[:300]
    found = _RECORDED.match(text)
    if found is None or found.group(2) != socket.gethostname() or os.name != "posix":
        return text, None
    pid = int(found.group(1))
    if not 0 < pid < 2**31:  # pid 0 would ask about our own process group
        return text, None
    try:
        os.kill(pid, 0)  # signal 0: asks whether it exists, sends nothing
    except ProcessLookupError:
        return text, False
    except PermissionError:  # it exists, another user's
        return text, True
    return text, True


def _read_holder(path: Path, patience: float = 1.0) -> str:
    """Who holds the lock, in its own words. The holder writes them just after
    taking the lock, so a run that lost the race by a hair waits a moment."""
    deadline = time.monotonic() + patience
    while True:
        try:
            text = path.read_text(errors="replace").strip()
        except OSError:
            text = ""
        if text or time.monotonic() >= deadline:
            return text or "another pstokens run"
        time.sleep(0.02)
