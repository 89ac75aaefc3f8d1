"""Writing a private file atomically: the one way pstokens puts bytes on disk.

State, saved plans, delivered secrets and the emulator's data all go through
here (a file named with `--out` through `write_output`, which replaces only a
regular file): a 0600 temporary file beside the target, fsync, rename, folder fsync,
so a reader sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from pstokens.fileread import NotRegular, kind_words


def write_private(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    put_in_place(stage_private(path, payload), path)


def write_output(path: Path, payload: bytes) -> None:
    """A file someone named for output (`--out`), written as `write_private` writes
    it, but never in place of something that is not a regular file: the rename
    would replace a device, a FIFO or a symbolic link itself (run as root,
    `--out /dev/full` made /dev/full a plain file). NotRegular (an OSError) then."""
    if reason := odd_output(path):
        raise NotRegular(errno.EEXIST, reason, str(path))
    write_private(path, payload)


def odd_output(path: Path) -> str | None:
    """Why `path` may not be written as output, in words; None when it does not
    exist or is a regular file (which it replaces)."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISREG(mode):
        return None
    return f"it is {kind_words(mode)}; pstokens writes output only to a regular file"


def stage_private(path: Path, payload: bytes) -> Path:
    """`payload` in a 0600 temporary file beside `path` (`.NAME.*.tmp`), on disk;
    `path` itself is untouched until `put_in_place`."""
    # mkstemp creates the file 0600, so the content is never readable by others.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return Path(tmp_name)


def put_in_place(staged: Path, path: Path) -> None:
    """Rename a file from `stage_private` over `path`, durably."""
    try:
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder itself is synced; not every
    # platform lets a folder be opened for that, which is harmless.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
