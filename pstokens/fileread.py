"""Reading an input file, bounded: the one way pstokens reads a file it was pointed at.

The config, its policies, a saved plan and the state file are named by whoever
runs pstokens or can change a repository, so reading one must cost little
whatever it is: `-c /dev/zero` must not read forever, a FIFO must not block
forever, a disk image must not be read into memory. `read_bounded` refuses a
path that is not a regular file (a FIFO, a device, a socket; a directory is an
IsADirectoryError, as `open` says) before it opens it, opens it without
blocking and checks what it opened again (the path may have changed in
between), and reads at most `limit` bytes and one more: a larger file is
refused (`TooLarge`). Every refusal is an OSError, so callers word them as any
file they cannot read; each limit lives beside its caller (docs/limits.md).
"""

from __future__ import annotations

import errno
import os
import stat

# Open without waiting for a FIFO's writer, and never take a terminal as ours.
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class Refused(OSError):
    """A file `read_bounded` does not read; `strerror` says why, in words."""


class NotRegular(Refused):
    """A FIFO, a device or a socket: reading one could block or never end."""


class TooLarge(Refused):
    """A file larger than the limit, which is `limit` bytes."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(errno.EFBIG, f"it is larger than {size_words(limit)}", path)
        self.limit = limit


def size_words(limit: int) -> str:
    """`limit` bytes in words: "8 MiB", "64 KiB"."""
    for unit, size in (("MiB", 2**20), ("KiB", 2**10)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit:,} bytes"


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them: TooLarge past
    that, NotRegular for what is not a regular file, IsADirectoryError for a directory,
    and any other OSError (FileNotFoundError, PermissionError) as opening it raises."""
    shown = os.fspath(path)
    _check(os.stat(path), shown, limit)  # a FIFO or a device is never opened
    fd = os.open(path, _FLAGS)
    try:
        _check(os.fstat(fd), shown, limit)  # what was opened, should the path have changed
        if _FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as stream:
            fd = -1  # closed with the stream
            data = stream.read(limit + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:  # it grew since it was checked
        raise TooLarge(shown, limit)
    return data


def kind_words(mode: int) -> str:
    """What a file that is not a regular one is, in words ("a FIFO (named pipe)")."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return next((words for test, words in _KINDS if test(mode)), "something else")


def _check(found: os.stat_result, path: str, limit: int) -> None:
    mode = found.st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if not stat.S_ISREG(mode):
        raise NotRegular(errno.EINVAL, f"it is {kind_words(mode)}, not a regular file", path)
    if found.st_size > limit:
        raise TooLarge(path, limit)
