"""Running `exec`'s COMMAND: its environment, its exit status, the signals passed on.

COMMAND gets the lease's credentials and the organization, and none of
pstokens' own (the same names the secret delivery command is kept from).
SIGINT and SIGTERM sent to pstokens go on to COMMAND; pstokens itself keeps
running so it can delete the lease once COMMAND ends. The status is
COMMAND's, or 128+N when signal N ended it, as a shell reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Iterator, Mapping, Sequence

from pstokens.delivery.command import OWN_CREDENTIALS
from pstokens.errors import PstokensError

FORWARDED = (signal.SIGINT, signal.SIGTERM)
NOT_FOUND_STATUS = 127
NOT_RUNNABLE_STATUS = 126


class CommandNotStarted(PstokensError):
    """COMMAND could not be started; `status` is what a shell would exit with."""

    def __init__(self, message: str, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.exit_code = status


def command_env(
    base: Mapping[str, str], token_id: str, secret: str, organization: str
) -> dict[str, str]:
    """`base` without pstokens' credentials, with the lease's and the organization."""
    env = {k: v for k, v in base.items() if k not in OWN_CREDENTIALS}
    env.update({
        "PLANETSCALE_SERVICE_TOKEN_ID": token_id,
        "PLANETSCALE_SERVICE_TOKEN": secret,
        "PLANETSCALE_ORG": organization,
    })
    return env


class Signals:
    """While held: SIGINT and SIGTERM go to the running child, or, before it
    starts, cancel `setup` (so what was made is undone); after it ends they are
    noted and ignored, so the lease is still deleted."""

    def __init__(self) -> None:
        self.child: asyncio.subprocess.Process | None = None
        self.setup: asyncio.Task[object] | None = None
        self.received: signal.Signals | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[Signals]:
        loop = asyncio.get_running_loop()
        for sig in FORWARDED:
            loop.add_signal_handler(sig, self._on, sig)
        try:
            yield self
        finally:
            for sig in FORWARDED:
                loop.remove_signal_handler(sig)

    def _on(self, sig: signal.Signals) -> None:
        self.received = sig
        if self.child is not None and self.child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.child.send_signal(sig)
        elif self.setup is not None and not self.setup.done():
            self.setup.cancel()


def unstartable(argv: Sequence[str]) -> CommandNotStarted | None:
    """Why COMMAND cannot start, as a shell exits for it: 127 when nothing by
    that name is found, 126 when it is found but is no executable file (a
    folder, or a file without the execute bit). None: it can start."""
    if not argv:
        return CommandNotStarted("command not found: (none)", NOT_FOUND_STATUS,
                                 hint="check the command's name and PATH; no lease was made")
    name = argv[0]
    if shutil.which(name) is not None:
        return None
    if os.sep in name:
        found: str | None = name if os.path.exists(name) else None
    else:
        found = next((os.path.join(folder, name)
                      for folder in os.get_exec_path() if os.path.exists(
                          os.path.join(folder, name))), None)
    if found is None:
        return CommandNotStarted(f"command not found: {name}", NOT_FOUND_STATUS,
                                 hint="check the command's name and PATH; no lease was made")
    if os.path.isdir(found):
        return CommandNotStarted(f"command cannot be run: {found} is a folder",
                                 NOT_RUNNABLE_STATUS,
                                 hint="name a program (or a script) to run; no lease was made")
    return CommandNotStarted(f"command cannot be run: {found} is not executable",
                             NOT_RUNNABLE_STATUS,
                             hint=f"make it executable (chmod +x {found}), or name the "
                             "program to run it with; no lease was made")


async def run_command(argv: Sequence[str], env: Mapping[str, str], signals: Signals) -> int:
    """Run COMMAND to its end; its exit status (128+N for signal N)."""
    try:
        child = await asyncio.create_subprocess_exec(*argv, env=dict(env))
    except FileNotFoundError:
        raise CommandNotStarted(f"command not found: {argv[0]}", NOT_FOUND_STATUS,
                                hint="check the command's name and PATH") from None
    except PermissionError:
        raise CommandNotStarted(f"command cannot be run: {argv[0]}", NOT_RUNNABLE_STATUS,
                                hint="check the file is executable") from None
    except OSError as exc:
        raise CommandNotStarted(f"command cannot be run: {argv[0]} ({exc.strerror})",
                                NOT_RUNNABLE_STATUS) from None
    signals.child = child
    status = await child.wait()
    return 128 - status if status < 0 else status


def exit_status_of(sig: signal.Signals) -> int:
    return 128 + int(sig)
