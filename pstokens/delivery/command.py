"""The command destination: a shell command that reads the secret on stdin.

`gh secret set NAME` and the like work as they are; with `stdin: env` the
command reads both lines of the `.env` file, with `stdin: json` the object
`{"id": ..., "token": ...}`, so one command can store the ID and the secret
together. The command's output is captured, never passed through: on
failure the user sees its exit status and the last lines of its stderr (or
stdout), with the secret scrubbed. A command that hangs is stopped, its whole
process group. A command is judged by its exit status: once it exits, what it
wrote is read from its pipes as they hold it, and a background child it left
holding them open is left alone, never waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal

from pstokens.delivery.base import NewSecret, Staged, StagedSink
from pstokens.delivery.scrub import last_lines
from pstokens.destinations import StdinForm
from pstokens.errors import SecretDeliveryError
from pstokens.expected import expect
from pstokens.quoting import quote

DEFAULT_TIMEOUT = 120.0
# After SIGTERM, how long the group has before SIGKILL.
TERM_GRACE = 2.0
KEEP_BYTES = 16 * 1024
# The most a pipe can hold (Linux's pipe-max-size): what an exited command can
# have left unread; past it, a child it left behind is still writing.
PIPE_MAX = 1024 * 1024
# pstokens' own credentials stay out of the command's environment: a command
# reading $PLANETSCALE_SERVICE_TOKEN must not deliver pstokens' token by mistake.
OWN_CREDENTIALS = ("PLANETSCALE_SERVICE_TOKEN_ID", "PLANETSCALE_SERVICE_TOKEN",
                   "PLANETSCALE_API_KEY")


class CommandSink(StagedSink):
    """Runs `command` through the shell once per new token, the secret on stdin."""

    def __init__(self, command: str, timeout: float | None = None, *,
                 label: str | None = None, stdin: StdinForm | None = None) -> None:
        expect(command, str, "CommandSink command", "a shell command, such as "
               "\"vault kv put ...\"")
        if timeout is not None:
            expect(timeout, (int, float), "CommandSink timeout", "seconds, or None")
        if label is not None:
            expect(label, str, "CommandSink label", "a str, or None")
        self.command = command
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.label = label or f"command {quote(command)}"
        self.stdin = stdin

    def __repr__(self) -> str:
        return f"CommandSink({self.label})"

    async def stage(self, item: NewSecret) -> Staged:
        return _Run(self, item)  # nothing to prepare: it runs when sent

    def where(self, item: NewSecret) -> str:
        return self.label

    async def run(self, item: NewSecret) -> None:
        """Run the command for `item`; raises SecretDeliveryError when it fails."""
        env = {
            **{k: v for k, v in os.environ.items() if k not in OWN_CREDENTIALS},
            "PSTOKENS_TOKEN_KEY": item.key,
            "PSTOKENS_TOKEN_ID": item.token_id,
            "PSTOKENS_TOKEN_NAME": item.token_name,
            "PSTOKENS_ORG": item.organization,
        }
        secret = item.secret.reveal()
        loop = asyncio.get_running_loop()
        try:
            transport, capture = await loop.subprocess_shell(
                lambda: _Capture(loop),
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
        timed_out = False
        try:
            stdin = transport.get_pipe_transport(0)
            assert isinstance(stdin, asyncio.WriteTransport)
            # A closed pipe (it did not read) is no error.
            stdin.write(stdin_body(self.stdin, item.token_id, secret).encode())
            stdin.close()
            try:
                await asyncio.wait_for(asyncio.shield(capture.exited), self.timeout)
            except TimeoutError:
                timed_out = True
                await _stop(transport.get_pid(), capture)
            # Its last words are in the pipes now; a child left behind may hold them open.
            _read_what_is_there(transport, capture)
        finally:
            if transport.get_returncode() is None:  # cancelled: leave nothing running
                await _stop(transport.get_pid(), capture)
            transport.close()  # our ends of the pipes, whoever else holds theirs
        code = transport.get_returncode()
        output = bytes(capture.stderr or capture.stdout)
        if timed_out:
            raise SecretDeliveryError(
                f"{self.label} did not finish within {self.timeout:g} s for {item.key!r} "
                "and was stopped" + _shown(output, secret),
                hint="a deliver entry's `timeout:` allows longer",
            )
        if code != 0:
            raise SecretDeliveryError(
                f"{self.label} exited with status {_status(code)} for "
                f"{item.key!r}" + _shown(output, secret),
            )

    # What a command did with a secret elsewhere is for that place to undo.


class _Run:
    """A command's delivery: nothing is staged, it runs when sent."""

    def __init__(self, sink: CommandSink, item: NewSecret) -> None:
        self._sink = sink
        self._item = item
        self.where = sink.label
        self.sent = False

    async def send(self) -> None:
        await self._sink.run(self._item)
        self.sent = True

    def commit(self) -> None:
        return None

    def discard(self) -> None:
        return None


def stdin_body(form: StdinForm | None, token_id: str, secret: str) -> str:
    """What the command reads: the secret alone (no newline), the `.env` file's two
    lines, or one JSON object."""
    if form == "env":
        return f"PLANETSCALE_SERVICE_TOKEN_ID={token_id}\nPLANETSCALE_SERVICE_TOKEN={secret}\n"
    if form == "json":
        return json.dumps({"id": token_id, "token": secret})
    return secret


class _Capture(asyncio.SubprocessProtocol):
    """The last KEEP_BYTES of each output, and the moment the command exits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.exited: asyncio.Future[None] = loop.create_future()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        kept = self.stdout if fd == 1 else self.stderr
        kept += data
        del kept[:-KEEP_BYTES]

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


def _read_what_is_there(transport: asyncio.SubprocessTransport, capture: _Capture) -> None:
    """Everything the exited command wrote, read from its pipes without waiting.

    Its writes were all done when it exited, so they are in the pipes already; a
    background child it left may keep them open for as long as it likes, and
    waiting for the pipes to close would wait for that child.
    """
    for fd in (1, 2):
        pipe = transport.get_pipe_transport(fd)
        if not isinstance(pipe, asyncio.ReadTransport) or pipe.is_closing():
            continue
        pipe.pause_reading()
        source = pipe.get_extra_info("pipe")
        left = PIPE_MAX if source is not None else 0
        while left > 0:
            try:
                data = os.read(source.fileno(), min(left, 65536))
            except OSError:  # nothing more to read now (EAGAIN), or gone
                break
            if not data:
                break
            left -= len(data)
            capture.pipe_data_received(fd, data)


async def _stop(pid: int, capture: _Capture) -> None:
    """SIGTERM to the command's process group, then SIGKILL to whatever is left."""
    _signal_group(pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(capture.exited), TERM_GRACE)
    _signal_group(pid, signal.SIGKILL)
    await asyncio.shield(capture.exited)


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
