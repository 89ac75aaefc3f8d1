"""The folder destination: `DIR/<organization>/<key>.env`, mode 0600.

Used for `--secrets-dir` and for a token's `- dir:` entries. Folders are left
as found: only those pstokens creates are made 0700, and the topmost of them
gets a `.gitignore` of `*`. Inside a git work tree, a file git would not
ignore is not written. The new file is staged beside the working one and
takes its place only on commit. When a token is deleted its file goes too,
but only while the file still holds that token's ID: a newer secret for the
same key is never removed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from pstokens.defaults import secret_file
from pstokens.delivery.base import NewSecret, Staged, StagedSink
from pstokens.delivery.gitignored import unignored
from pstokens.errors import SecretDeliveryError
from pstokens.expected import PATH, expect
from pstokens.fileio import put_in_place, stage_private

ID_LINE = "PLANETSCALE_SERVICE_TOKEN_ID="
# What a staged file is called while it waits (see fileio.stage_private).
STAGED_FORM = ".{name}.pstokens.tmp"


class DirectorySink(StagedSink):
    """Writes `DIR/<organization>/<key>.env`, mode 0600."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        expect(root, PATH, "DirectorySink root", "a folder's path, such as Path(\".pstokens/"
               "secrets\")")
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"DirectorySink({str(self.root)!r})"

    def path(self, organization: str, key: str) -> Path:
        return secret_file(self.root, organization, key)

    def where(self, item: NewSecret) -> str:
        return str(self.path(item.organization, item.key))

    async def stage(self, item: NewSecret) -> Staged:
        target = self.path(item.organization, item.key)
        try:
            _make_folders(target.parent)
        except OSError as exc:
            raise self._failed(item, exc) from None
        names = [target.name, STAGED_FORM.format(name=target.name)]
        refused = await unignored(target.parent, names)
        if refused is not None:
            top, line = refused
            raise SecretDeliveryError(
                f"did not write {target}: it is in the git work tree {top} and git would not "
                f"ignore it; add the line `{line}` to {top / '.gitignore'}",
            )
        body = f"{ID_LINE}{item.token_id}\nPLANETSCALE_SERVICE_TOKEN={item.secret.reveal()}\n"
        try:
            if target.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            staged = stage_private(target, body.encode())
        except OSError as exc:
            raise self._failed(item, exc) from None
        return _StagedFile(staged, target)

    def _failed(self, item: NewSecret, exc: OSError) -> SecretDeliveryError:
        return SecretDeliveryError(
            f"could not write the secret of {item.key!r} under {self.root}: "
            f"{exc.strerror or type(exc).__name__}",
            hint="check the folder's permissions, or deliver it elsewhere",
        )

    def folders(self, key: str) -> tuple[str, ...]:
        return (str(self.root),)


class _StagedFile:
    """A secret file written under a temporary name beside its place."""

    sent = False

    def __init__(self, staged: Path, target: Path) -> None:
        self._staged = staged
        self._target = target
        self.where = str(target)

    async def send(self) -> None:
        return None  # it waits for commit

    def commit(self) -> None:
        try:
            put_in_place(self._staged, self._target)
        except OSError as exc:
            raise SecretDeliveryError(
                f"could not put the secret file {self._target} in place: "
                f"{exc.strerror or type(exc).__name__}",
            ) from None
        self.sent = True
        # A run killed before its commit left its staged copy behind. That
        # secret's token is replaced (this delivery) and deleted: clear it now.
        for stray in _strays(self._target):
            with contextlib.suppress(OSError):  # left for the next run to clear
                stray.unlink(missing_ok=True)

    def discard(self) -> None:
        if not self.sent:
            with contextlib.suppress(OSError):
                self._staged.unlink(missing_ok=True)


def _make_folders(folder: Path) -> None:
    """Create what is missing of `folder`, 0700; the topmost one created gets a
    `.gitignore` of `*`. Folders that exist are left as they are."""
    missing: list[Path] = []
    path = folder
    while not path.exists() and path.parent != path:
        missing.append(path)
        path = path.parent
    topmost = True
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by someone else: theirs
            continue
        os.chmod(path, 0o700)  # whatever the umask
        if topmost:
            (path / ".gitignore").write_text("*\n")
            topmost = False


def _strays(target: Path) -> list[Path]:
    return list(target.parent.glob(f".{target.name}.*.tmp"))


def forget_files(folders: Iterable[str], organization: str, key: str, token_id: str) -> list[str]:
    """Remove `key`'s `.env` file, and copies a killed run left staged, from each
    folder where they hold `token_id`'s secret."""
    gone: list[str] = []
    for root in dict.fromkeys(folders):
        target = secret_file(root, organization, key)
        for path in [target, *_strays(target)]:
            gone += _forget(path, token_id)
    return gone


def _forget(target: Path, token_id: str) -> list[str]:
    try:
        lines = target.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if f"{ID_LINE}{token_id}" not in lines:
        return []
    try:
        target.unlink(missing_ok=True)
    except OSError:
        return []  # a dead secret left behind; the token it opened is deleted
    return [str(target)]
