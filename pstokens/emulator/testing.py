"""A real emulator server in a background thread, for tests over loopback HTTP.

Tests of the client, engine and CLI use it, so it picks a free port, returns
only once the server listens, and always stops it and joins its thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import uvicorn

from pstokens.emulator.app import create_app
from pstokens.emulator.server import uvicorn_config
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.store import EmulatorStore

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


@contextlib.contextmanager
def running_emulator(
    settings: EmulatorSettings | None = None,
    store: EmulatorStore | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Serve the emulator on a free loopback port in a background thread.

    Yields the base URL, `http://127.0.0.1:PORT/v1`; the server is stopped and
    its thread joined on exit. Pass `store` to change data out of band, and
    `clock` (monotonic seconds) to drive the rate-limit window.
    """
    app = create_app(settings or EmulatorSettings(), store, clock=clock)
    # Leave the process's logging as the test runner set it up; warnings still show.
    config = uvicorn_config(
        app, "127.0.0.1", 0, log_config=None, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="pstokens-emulator", daemon=True)
    thread.start()
    try:
        port = _wait_until_listening(server, thread)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        if thread.is_alive():
            # A client kept a request open past the graceful period: cut it.
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT)


def _wait_until_listening(server: uvicorn.Server, thread: threading.Thread) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the emulator stopped before it started listening")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the emulator did not start within {STARTUP_TIMEOUT} s")
        time.sleep(0.005)
    sockets = [sock for s in server.servers for sock in s.sockets]
    port: int = sockets[0].getsockname()[1]
    return port
