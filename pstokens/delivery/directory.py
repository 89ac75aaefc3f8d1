"""The folder destination: `DIR/<organization>/<key>.env`, mode 0600, folders 0700.

Used for `--secrets-dir` and for a token's `- dir:` entries. When a token is
deleted its file goes too, but only while the file still holds that token's
ID: a newer secret for the same key is never removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pstokens.defaults import secret_file
from pstokens.delivery.base import NewSecret
from pstokens.errors import SecretDeliveryError
from pstokens.fileio import write_private

ID_LINE = "PLANETSCALE_SERVICE_TOKEN_ID="


class DirectorySink:
    """Writes `DIR/<organization>/<key>.env`, mode 0600, folders 0700."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"DirectorySink({str(self.root)!r})"

    def path(self, organization: str, key: str) -> Path:
        return secret_file(self.root, organization, key)

    async def deliver(self, item: NewSecret) -> str:
        try:
            return self._write(item)
        except OSError as exc:
            raise SecretDeliveryError(
                f"could not write the secret of {item.key!r} under {self.root}: "
                f"{exc.strerror or type(exc).__name__}",
                hint="check the folder's permissions, or deliver it elsewhere",
            ) from None

    def _write(self, item: NewSecret) -> str:
        folder = self.root / item.organization
        for path in (self.root, folder):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path, 0o700)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        target = self.path(item.organization, item.key)
        body = (
            f"{ID_LINE}{item.token_id}\n"
            f"PLANETSCALE_SERVICE_TOKEN={item.secret.reveal()}\n"
        )
        write_private(target, body.encode())
        # A run killed mid-write leaves its temporary copy beside the file. That
        # secret's token is replaced (this delivery) and deleted: clear it now.
        for stray in folder.glob(f".{target.name}.*.tmp"):
            stray.unlink(missing_ok=True)
        return str(target)

    def folders(self, key: str) -> tuple[str, ...]:
        return (str(self.root),)



def forget_files(folders: Iterable[str], organization: str, key: str, token_id: str) -> list[str]:
    """Remove `key`'s `.env` file from each folder where it holds `token_id`'s secret."""
    gone: list[str] = []
    for root in dict.fromkeys(folders):
        gone += _forget(secret_file(root, organization, key), token_id)
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
