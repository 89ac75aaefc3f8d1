"""Delivering a new token's one-time secret, then forgetting it.

Two destinations: a 0600 `.env` file per key under a 0700 folder, or a user
command that reads the secret on stdin. Errors never carry the secret.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pstokens.errors import SecretDeliveryError
from pstokens.fileio import write_private
from pstokens.secret import Secret

DEFAULT_SECRETS_DIR = Path(".pstokens/secrets")


@dataclass(frozen=True)
class NewSecret:
    organization: str
    key: str
    token_id: str
    secret: Secret


class SecretSink(Protocol):
    async def deliver(self, item: NewSecret) -> str:
        """Deliver the secret; return where it went (for the user, no secret)."""
        ...


class DirectorySink:
    """Writes `DIR/<organization>/<key>.env`, mode 0600, folders 0700."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def deliver(self, item: NewSecret) -> str:
        try:
            return self._write(item)
        except OSError as exc:
            raise SecretDeliveryError(
                f"could not write the secret of {item.key!r} under {self.root}: {exc.strerror}",
                hint="check the folder's permissions, or use --secrets-command",
            ) from None

    def _write(self, item: NewSecret) -> str:
        folder = self.root / item.organization
        for path in (self.root, folder):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path, 0o700)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        target = folder / f"{item.key}.env"
        body = (
            f"PLANETSCALE_SERVICE_TOKEN_ID={item.token_id}\n"
            f"PLANETSCALE_SERVICE_TOKEN={item.secret.reveal()}\n"
        )
        write_private(target, body.encode())
        # A run killed mid-write leaves its temporary copy beside the file. That
        # secret's token is replaced (this delivery) and deleted: clear it now.
        for stray in folder.glob(f".{target.name}.*.tmp"):
            stray.unlink(missing_ok=True)
        return str(target)


class CommandSink:
    """Runs a command once per new token, the secret on its stdin."""

    def __init__(self, command: str, timeout: float = 120.0) -> None:
        self.command = command
        self.timeout = timeout

    async def deliver(self, item: NewSecret) -> str:
        env = {
            **os.environ,
            "PSTOKENS_TOKEN_KEY": item.key,
            "PSTOKENS_TOKEN_ID": item.token_id,
            "PSTOKENS_ORG": item.organization,
        }
        try:
            process = await asyncio.create_subprocess_shell(
                self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env=env,
            )
            await asyncio.wait_for(
                process.communicate(item.secret.reveal().encode()), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise SecretDeliveryError(
                f"--secrets-command failed for {item.key!r}: {exc.__class__.__name__}"
            ) from None
        if process.returncode != 0:
            raise SecretDeliveryError(
                f"--secrets-command exited with status {process.returncode} for {item.key!r}",
                hint="the token stays marked undelivered; the next plan replaces it",
            )
        return "--secrets-command"
