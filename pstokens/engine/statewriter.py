"""Keeps state on disk in step with apply, one small update at a time.

Updates that land while a write is in progress are folded into the next one,
so a thousand parallel steps cost a few dozen writes, not a thousand. An
update marked durable (the intent before a create) returns only once on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from pstokens.state.model import State, TokenRecord
from pstokens.state.store import StateStore

Update = Callable[[TokenRecord | None], TokenRecord | None]


class StateWriter:
    def __init__(self, store: StateStore, state: State) -> None:
        self._store = store
        self.state = state
        self._dirty = False
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()

    async def update(self, key: str, change: Update, *, durable: bool = False) -> None:
        self.state = self.state.with_token(key, change(self.state.tokens.get(key)))
        self._dirty = True
        if durable:
            await self.flush()
        else:
            task = asyncio.create_task(self.flush())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """Wait for every write in flight, then write what is left."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            if not self._dirty:
                return
            self._dirty = False
            snapshot = self.state
            written = await asyncio.to_thread(self._store.save, snapshot)
            self.state = replace(self.state, serial=written.serial)
