"""State writes for leases: the lock held around each write only, never across a command.

`pstokens exec` writes state three times (the intent, the lease's ID, its
removal), each under the state lock, reading the latest state first: so
parallel `exec`s of one key each add and remove their own lease, and a
long-running command never holds the lock that plan and apply need.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pstokens.state.base import StateStore
from pstokens.state.model import State

# How long an `exec` waits for the state lock at least: the lock is held for one
# write by another `exec`, or by a plan or apply for longer.
LEASE_LOCK_WAIT = 30.0


class LeaseBook:
    """One organization's state, edited a lease at a time."""

    def __init__(self, store: StateStore, organization: str, lock_timeout: float = 0.0) -> None:
        self._store = store
        self._organization = organization
        self._timeout = max(lock_timeout, LEASE_LOCK_WAIT)

    def read(self) -> State:
        return self._store.load(self._organization)

    async def edit(self, change: Callable[[State], State]) -> State:
        """Lock, read, change, write, unlock; returns what was written. A cancelled
        caller does not cancel a write already started: it lands, then the caller
        sees the cancellation."""
        task = asyncio.ensure_future(asyncio.to_thread(self._edit_now, change))
        return await asyncio.shield(task)

    def _edit_now(self, change: Callable[[State], State]) -> State:
        with self._store.locked(self._timeout):
            state = self._store.load(self._organization)
            return self._store.save(change(state))
