"""Keeps state on disk in step with apply, one small update at a time.

Updates that land while a write is in progress are folded into the next one,
and a caller whose update an earlier write already carried does not write
again, so a thousand parallel steps cost a few dozen writes, not a thousand.
Background writes start at most every WRITE_INTERVAL seconds: each one costs
the whole file. An update marked durable (the intent before a create, a new
token's ID) returns only once on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace

from pstokens.state.base import StateStore
from pstokens.state.model import State, TokenRecord

Update = Callable[[TokenRecord | None], TokenRecord | None]

WRITE_INTERVAL = 0.2


class StateWriter:
    def __init__(self, store: StateStore, state: State) -> None:
        self._store = store
        self.state = state
        self._version = 0  # updates made so far
        self._written = 0  # updates on disk
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()
        self._scheduled = False
        self._closing = asyncio.Event()

    async def update(self, key: str, change: Update, *, durable: bool = False) -> None:
        await self.edit(lambda state: state.with_token(key, change(state.tokens.get(key))),
                        durable=durable)

    async def edit(self, change: Callable[[State], State], *, durable: bool = False) -> None:
        """Any change to the state as a whole (a lease forgotten, say)."""
        self.state = change(self.state)
        self._version += 1
        if durable:
            await self.flush()
        elif not self._scheduled:
            self._scheduled = True
            task = asyncio.create_task(self._flush_soon())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _flush_soon(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), WRITE_INTERVAL)
        self._scheduled = False
        await self.flush()

    async def close(self) -> None:
        """Wait for every write in flight, then write what is left."""
        self._closing.set()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.flush()

    async def flush(self) -> None:
        """Return once every update made before this call is on disk."""
        wanted = self._version
        async with self._lock:
            if self._written >= wanted:
                return
            snapshot, version = self.state, self._version
            written = await asyncio.to_thread(self._store.save, snapshot)
            self._written = version
            self.state = replace(self.state, serial=written.serial)
