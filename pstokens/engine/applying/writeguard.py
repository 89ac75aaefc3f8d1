"""The engine's guard of the adapters' writes: the state lock of a plan or apply, and
`prevent_destroy`.

A create, delete, grant or revoke through REST or MCP runs holding the
organization's state lock (waiting up to `--lock-timeout`), so it never lands
in the middle of a plan or apply; while one holds the lock the write is
refused (409 `state_locked`) naming the holder, and nothing is sent. A delete
then reads state under that lock and is refused (409) when the token is
protected, or when state cannot be read to tell.

It lives in the engine, beside the lock a plan or apply takes, so the REST and
MCP writes (`pstokens.adapters.operations`) keep the same lock order as every
other caller; `serve` gets its guard from `engine/open.py`'s `Opener`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from pstokens.engine.applying.locks import StateLocks, StateStores
from pstokens.errors import LockHeld, PstokensError
from pstokens.state.base import StateStore


class Refused(PstokensError):
    """An adapter's write pstokens itself refuses (not the API): answered 409
    `conflict` (`pstokens.adapters.errors`)."""


class StateLocked(Refused):
    """A write refused because another run (a plan, an apply) holds the state lock:
    answered 409 `state_locked`."""


class WriteGuard:
    """Runs the adapters' writes under the state lock; `state_store` None guards nothing."""

    def __init__(self, state_store: StateStores | None, lock_timeout: float = 0.0) -> None:
        self._locks = None if state_store is None else StateLocks(state_store, lock_timeout)
        self._timeout = lock_timeout

    @contextlib.asynccontextmanager
    async def write(self, organization: str, doing: str) -> AsyncIterator[StateStore | None]:
        """Hold `organization`'s state lock for a write (`doing` names it in a refusal)."""
        if self._locks is None:
            yield None
            return
        try:
            hold = await self._locks.take(organization)
        except LockHeld as exc:
            raise StateLocked(
                f"refusing to {doing}: {exc.message}; nothing was sent to PlanetScale",
                hint=f"send it again once that run has finished; pstokens serve's "
                f"--lock-timeout ({self._timeout:g} s) is how long a write waits for it",
            ) from None
        except PstokensError as exc:
            raise Refused(
                f"refusing to {doing}: the state lock could not be taken ({exc.message})",
                hint=exc.hint,
            ) from None
        try:
            yield hold.store
        finally:
            hold.release()

    @contextlib.asynccontextmanager
    async def delete(self, organization: str, token_id: str) -> AsyncIterator[None]:
        """Hold the lock for a delete, once state (read under it) allows deleting `token_id`."""
        doing = f'delete service token "{token_id}"'
        async with self.write(organization, doing) as store:
            if store is not None:
                await _check_unprotected(store, organization, token_id)
            yield


async def _check_unprotected(store: StateStore, organization: str, token_id: str) -> None:
    """Return if state lets `token_id` be deleted; else raise `Refused` saying why."""
    try:
        # Off the event loop (both adapters share it): the state may be an S3 object.
        state = await asyncio.to_thread(store.load, organization)
    except PstokensError as exc:
        raise Refused(
            f'refusing to delete service token "{token_id}": the state could not be read '
            f"to check prevent_destroy ({exc.message})",
            hint=exc.hint or "fix or restore the state, then delete it",
        ) from None
    for key, record in state.tokens.items():
        if record.id == token_id and record.prevent_destroy:
            raise Refused(
                f'refusing to delete service token "{token_id}": it is "{key}" in '
                f"{store.location}, which marks it prevent_destroy",
                hint=f'set prevent_destroy: false for "{key}" in the config and run '
                "pstokens apply, then delete it",
            )
