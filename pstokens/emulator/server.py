"""Running the emulator under uvicorn, as `pstokens emulator` does.

Also the one place that shapes uvicorn's configuration, so the foreground
server and the test runner in `testing.py` behave alike.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette

from pstokens.emulator.app import create_app
from pstokens.emulator.faults import ResponseDropped
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.store import EmulatorStore


class _HideDroppedResponses(logging.Filter):
    """uvicorn logs every exception an app raises; a dropped response is on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ResponseDropped))


def _quiet_dropped_responses() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDroppedResponses) for f in logger.filters):
        logger.addFilter(_HideDroppedResponses())


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket already listening on host:port (0 picks a free port), so that
    whoever is told the address can connect at once; OSError if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def serve(
    settings: EmulatorSettings,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    store: EmulatorStore | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve the emulator at http://HOST:PORT/v1 (or on `sock`) until interrupted."""
    config = uvicorn_config(create_app(settings, store), host, port)
    uvicorn.Server(config).run(sockets=None if sock is None else [sock])


def uvicorn_config(app: Starlette, host: str, port: int, **options: Any) -> uvicorn.Config:
    _quiet_dropped_responses()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        ws="none",
        # Do not wait long for clients that keep connections open at shutdown.
        timeout_graceful_shutdown=2,
        **options,
    )
