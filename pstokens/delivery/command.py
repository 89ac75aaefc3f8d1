"""The command destination: a shell command that reads the secret on stdin.

`gh secret set NAME`, `vault kv put ... token=-` and the like work as they
are. The command's output is captured, never passed through: on failure the
user sees its exit status and the last lines of its stderr (or stdout), with
the secret scrubbed. A command that hangs is stopped, its whole process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from pstokens.config.wording import quote
from pstokens.delivery.base import NewSecret
from pstokens.delivery.scrub import last_lines
from pstokens.errors import SecretDeliveryError

DEFAULT_TIMEOUT = 120.0
# After the command exits, how long a child it left behind may keep its output open.
DRAIN_SECONDS = 2.0
# After SIGTERM, how long the group has before SIGKILL.
TERM_GRACE = 2.0
KEEP_BYTES = 16 * 1024
# pstokens' own credentials stay out of the command's environment: a command
# reading $PLANETSCALE_SERVICE_TOKEN must not deliver pstokens' token by mistake.
OWN_CREDENTIALS = ("PLANETSCALE_SERVICE_TOKEN_ID", "PLANETSCALE_SERVICE_TOKEN",
                   "PLANETSCALE_API_KEY")


class CommandSink:
    """Runs `command` through the shell once per new token, the secret on stdin."""

    def __init__(self, command: str, timeout: float | None = None, *,
                 label: str | None = None) -> None:
        self.command = command
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.label = label or f"command {quote(command)}"

    def __repr__(self) -> str:
        return f"CommandSink({self.label})"

    async def deliver(self, item: NewSecret) -> str:
        env = {
            **{k: v for k, v in os.environ.items() if k not in OWN_CREDENTIALS},
            "PSTOKENS_TOKEN_KEY": item.key,
            "PSTOKENS_TOKEN_ID": item.token_id,
            "PSTOKENS_TOKEN_NAME": item.token_name,
            "PSTOKENS_ORG": item.organization,
        }
        secret = item.secret.reveal()
        try:
            process = await asyncio.create_subprocess_shell(
                self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        except OSError as exc:
            raise SecretDeliveryError(
                f"{self.label} could not start for {item.key!r}: "
                f"{exc.strerror or type(exc).__name__}",
            ) from None
        assert process.stdout is not None and process.stderr is not None
        outputs = [asyncio.create_task(_tail(s)) for s in (process.stdout, process.stderr)]
        timed_out = False
        try:
            await asyncio.wait_for(_feed_and_wait(process, secret.encode()), self.timeout)
        except TimeoutError:
            timed_out = True
            await _stop(process)
        finally:
            if process.returncode is None:  # cancelled: leave nothing running
                await _stop(process)
            stdout, stderr = await _collect(process, outputs)
        if timed_out:
            raise SecretDeliveryError(
                f"{self.label} did not finish within {self.timeout:g} s for {item.key!r} "
                "and was stopped" + _shown(stderr or stdout, secret),
                hint="a deliver entry's `timeout:` allows longer",
            )
        if process.returncode != 0:
            raise SecretDeliveryError(
                f"{self.label} exited with status {_status(process.returncode)} for "
                f"{item.key!r}" + _shown(stderr or stdout, secret),
            )
        return self.label

    def folders(self, key: str) -> tuple[str, ...]:
        return ()

    # What a command did with a secret elsewhere is for that place to undo.


async def _feed_and_wait(process: asyncio.subprocess.Process, data: bytes) -> None:
    assert process.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        process.stdin.write(data)
        await process.stdin.drain()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        process.stdin.close()
    await process.wait()


async def _tail(stream: asyncio.StreamReader) -> bytes:
    """Everything `stream` gives until it closes, keeping only the last KEEP_BYTES."""
    kept = b""
    while chunk := await stream.read(4096):
        kept = (kept + chunk)[-KEEP_BYTES:]
    return kept


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM to the command's process group, then SIGKILL to whatever is left."""
    _signal_group(process.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), TERM_GRACE)
    _signal_group(process.pid, signal.SIGKILL)
    await process.wait()


async def _collect(
    process: asyncio.subprocess.Process, outputs: list[asyncio.Task[bytes]]
) -> tuple[bytes, bytes]:
    """The command's output; a child it left behind holding the pipes is stopped."""
    _, pending = await asyncio.wait(outputs, timeout=DRAIN_SECONDS)
    if pending:
        _signal_group(process.pid, signal.SIGKILL)
        await asyncio.wait(outputs, timeout=DRAIN_SECONDS)
    for task in outputs:
        task.cancel()  # no-op for a finished one
    results = await asyncio.gather(*outputs, return_exceptions=True)
    out, err = (r if isinstance(r, bytes) else b"" for r in results)
    return out, err


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _status(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"{code} (killed by {signal.Signals(-code).name})"
    return str(code)


def _shown(output: bytes, secret: str) -> str:
    """Its last lines, on one line (an error is one sentence): ` | ` between them."""
    lines = last_lines(output, [secret])
    if not lines:
        return " (it printed nothing)"
    return "; it printed: " + " | ".join(lines)
