"""The store's lock when its data file is shared between processes.

`--emulator` runs the emulator inside each pstokens process, all on one data
file: parallel `exec`s, `serve --emulator` beside the CLI. Each store change
must then be a read-modify-write of the file under one lock, or the last
writer silently drops the others' changes (12 parallel leases left 7 live).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from filelock import FileLock

# Longer than any store change takes; past it something holds the lock for good.
LOCK_TIMEOUT = 60.0


class SharedFileLock:
    """A re-entrant lock: the thread lock, then `<data>.lock` on the outermost entry.

    On the outermost entry, `reload` runs when the data file changed since this
    process last read or wrote it, so every change starts from the file's
    latest content; the new content is on disk before the lock is let go.
    """

    def __init__(self, path: Path, reload: Callable[[], None]) -> None:
        self._path = path
        self._reload = reload
        self._thread = threading.RLock()
        self._file = FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT)
        self._depth = 0
        self._seen: tuple[int, int, int] | None = None

    def __enter__(self) -> SharedFileLock:
        self._thread.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._file.acquire()
                if self._seen is None or self._signature() != self._seen:
                    self._reload()
            except BaseException:
                self._leave(seen=False)
                raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._leave(seen=True)

    def _leave(self, *, seen: bool) -> None:
        try:
            if self._depth == 1 and self._file.is_locked:
                if seen:
                    self._seen = self._signature()
                self._file.release()
        finally:
            self._depth -= 1
            self._thread.release()

    def _signature(self) -> tuple[int, int, int]:
        # Every save renames a new file into place, so the inode alone changes on
        # each write; size and time guard against a file system reusing inodes.
        try:
            found = os.stat(self._path)
        except FileNotFoundError:
            return (0, 0, 0)
        return (found.st_ino, found.st_size, found.st_mtime_ns)
