"""`pstokens serve`: both adapters, one uvicorn server each, in one event loop.

One loop so that both share one client, and with it one pacer: together they
stay under the API's rate limit. Ports are bound before anything starts, so a
busy port is one clear error (naming the adapter and its flag), not a
half-started server.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG

from pstokens.adapters.bearer import check_serve_token
from pstokens.adapters.mcp_server import MCP_PATH, create_mcp_app
from pstokens.adapters.planning import ToolBackend
from pstokens.adapters.rest import create_rest_app
from pstokens.api.client import PlanetScaleClient
from pstokens.engine.open import StateStore
from pstokens.errors import ServeError, UsageError

STARTUP_TIMEOUT = 10.0
logger = logging.getLogger("uvicorn.error")  # shown by uvicorn's log config, beside its own lines


class ServeSource(Protocol):
    """What serving needs from the command that starts it (the CLI's `CommandContext`)."""

    def serve_client(self) -> AbstractAsyncContextManager[PlanetScaleClient]:
        """The one client both adapters share; serving needs no config file."""
        ...

    def state_store(self, organization: str) -> StateStore:
        """Where an organization's state lives (as --state says)."""
        ...

    @property
    def default_organization(self) -> str | None:
        """--org / PLANETSCALE_ORG, for a plan call that names none."""
        ...


def run_adapters(
    session: ServeSource,
    serve_token: str,
    *,
    host: str = "127.0.0.1",
    rest_port: int = 8080,
    mcp_port: int = 9090,
    config: Path | None = None,
    lock_timeout: float = 0.0,
) -> None:
    """Serve REST on `rest_port` and MCP on `mcp_port` until SIGINT or SIGTERM.

    `config` (the `-c` serve was started with) is what the plan tool plans
    when a call names no config; a write waits up to `lock_timeout` seconds
    (`--lock-timeout`) for the state lock."""
    token = check_serve_token(serve_token)
    if rest_port == mcp_port != 0:
        raise UsageError(f"--rest-port and --mcp-port are both {rest_port}: give each its own")
    with (
        bound(host, rest_port, adapter="REST", flag="--rest-port") as rest_socket,
        bound(host, mcp_port, adapter="MCP", flag="--mcp-port") as mcp_socket,
    ):
        asyncio.run(serve_session(session, token, host, rest_socket, mcp_socket, config=config,
                                  lock_timeout=lock_timeout))


async def serve_session(
    session: ServeSource,
    serve_token: str,
    host: str,
    rest_socket: socket.socket,
    mcp_socket: socket.socket,
    *,
    started: Callable[[AdapterServers], None] | None = None,
    log_config: dict[str, Any] | None = LOGGING_CONFIG,
    config: Path | None = None,
    lock_timeout: float = 0.0,
) -> None:
    """Open the session's client, serve both adapters on it, close it when they stop.

    `started` is called once both listen (tests use it to reach and stop them).
    Both adapters' writes hold the organization's state lock (waiting up to
    `lock_timeout` s), and refuse to delete a token its state protects: the
    engine's guard. A workspace they open tells its config's `notify:` entries
    of what it runs (a failed notice is a logged warning).
    """
    from pstokens.render.notifier import notifier_for

    async with session.serve_client() as client:
        backend = ToolBackend(
            client, session.state_store, session.default_organization, default_config=config,
            lock_timeout=lock_timeout,
            notifiers=functools.partial(notifier_for, warn=logger.warning),
        )
        guard = backend.opener.guard()
        servers = AdapterServers(
            [
                ("REST", create_rest_app(client, serve_token, guard=guard,
                                         state_store=session.state_store), rest_socket,
                 "/v1 (OpenAPI description at /openapi.json)"),
                ("MCP",
                 create_mcp_app(client, serve_token, backend=backend, guard=guard, host=host),
                 mcp_socket, MCP_PATH),
            ],
            log_config=log_config,
        )
        async with _stop_on_signals(servers), servers.running():
            for line in servers.describe():
                logger.info("%s", line)
            if not _is_loopback(rest_socket) or not _is_loopback(mcp_socket):
                logger.warning(
                    "the adapters listen beyond this machine over plain HTTP: anyone who can "
                    "reach them and holds the serve token acts with pstokens' credentials"
                )
            if started is not None:
                started(servers)
            await servers.finished()


@dataclass(frozen=True)
class Listener:
    name: str
    app: ASGIApp
    sock: socket.socket
    path: str

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to its owner: two servers cannot both own them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AdapterServers:
    """Several ASGI apps, each on its own bound socket, served in the running loop."""

    def __init__(
        self,
        apps: Sequence[tuple[str, ASGIApp, socket.socket, str]],
        *,
        log_config: dict[str, Any] | None = LOGGING_CONFIG,
    ) -> None:
        self.listeners = [Listener(*app) for app in apps]
        self._servers = [
            _Server(
                uvicorn.Config(
                    listener.app,
                    lifespan="on",
                    ws="none",
                    log_config=log_config,
                    server_header=False,
                    timeout_graceful_shutdown=3,
                )
            )
            for listener in self.listeners
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def url(self, name: str) -> str:
        return next(listener.url for listener in self.listeners if listener.name == name)

    def describe(self) -> list[str]:
        return [f"pstokens {item.name} adapter on {item.url}{item.path}" for item in self.listeners]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[AdapterServers]:
        """Serve in the background; yields once every server listens, stops them on exit."""
        self._tasks = [
            asyncio.create_task(server.serve(sockets=[item.sock]), name=f"pstokens-{item.name}")
            for server, item in zip(self._servers, self.listeners, strict=True)
        ]
        try:
            await self._wait_started()
            yield self
        finally:
            for server in self._servers:
                server.should_exit = True
            for result in await asyncio.gather(*self._tasks, return_exceptions=True):
                if isinstance(result, Exception):
                    logger.error("an adapter failed: %r", result)

    async def finished(self) -> None:
        """Wait until a server stops (after `stop`, a signal, or a failure it raises)."""
        assert self._tasks, "use inside `running()`"
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()

    def stop(self) -> None:
        """Ask every server to finish; asked again, stop without waiting for clients."""
        force, self._stopping = self._stopping, True
        for server in self._servers:
            server.should_exit = True
            server.force_exit = server.force_exit or force

    async def _wait_started(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT
        while not all(server.started for server in self._servers):
            for task in self._tasks:
                if task.done():
                    task.result()  # raises what stopped the server, if anything did
                    raise ServeError("an adapter stopped before it started listening")
            if loop.time() > deadline:
                raise ServeError(f"the adapters did not start within {STARTUP_TIMEOUT:g} s")
            await asyncio.sleep(0.005)


@contextlib.contextmanager
def bound(
    host: str, port: int, *, adapter: str | None = None, flag: str = "--rest-port / --mcp-port"
) -> Iterator[socket.socket]:
    """A TCP socket bound to host:port (0 picks a free port), closed on exit.

    A busy port is a PstokensError naming `adapter` and the `flag` that moves it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}: {exc.strerror}",
                         hint="check --host") from None
    # IPv4 first: "localhost" should answer at 127.0.0.1, where clients look first.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        what = f" for the {adapter} adapter" if adapter else ""
        raise ServeError(
            f"cannot listen on {host}:{port}{what}: {exc.strerror}",
            hint=f"another program may use port {port}: pick another with {flag}",
        ) from None
    with sock:
        yield sock


@contextlib.asynccontextmanager
async def _stop_on_signals(servers: AdapterServers) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, servers.stop)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or not Unix: Ctrl-C still ends the process
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _is_loopback(sock: socket.socket) -> bool:
    host = sock.getsockname()[0]
    return bool(ipaddress.ip_address(host).is_loopback)
