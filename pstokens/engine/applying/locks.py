"""State locks held from async code without blocking the event loop.

Taking a state lock is blocking I/O (a file lock, or S3 calls) and a file
lock must be released by the thread that took it, so each hold lives in one
thread from taking to letting go, while the event loop keeps serving. The
engine service holds one for a plan or apply (`hold_lock`); the adapters'
writes in flight at the same time share one hold (`StateLocks`): they
exclude a plan or apply, not each other (no adapter call writes state).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable

from pstokens.state import StateStore

StateStores = Callable[[str], StateStore]  # organization -> its state, as --state says

logger = logging.getLogger(__name__)


class StateLocks:
    """Holds organizations' state locks for the adapters, waiting up to `timeout` s for one."""

    def __init__(self, stores: StateStores, timeout: float = 0.0) -> None:
        self._stores = stores
        self._timeout = timeout
        self._holds: dict[str, Hold] = {}

    async def take(self, organization: str) -> Hold:
        """Hold `organization`'s state lock until `release` is called on what comes back.

        Raises what the store's `locked` raises (`LockHeld` when a plan or
        apply holds it past the timeout, `PstokensError` when it cannot tell).
        """
        hold = await self._join(organization)
        try:
            await hold.taken()
        except BaseException:
            hold.release()
            raise
        return hold

    async def _join(self, organization: str) -> Hold:
        while (hold := self._holds.get(organization)) is not None and hold.leaving:
            await hold.gone()  # the last write's lock is being let go: take it afresh
            # Forgotten here too: the callback that forgets it may not have run yet, and
            # awaiting a finished hold again would never give it the chance.
            self._forget(organization, hold)
        if hold is None:
            hold = self._holds[organization] = Hold(self._stores(organization), self._timeout)
            hold.start(functools.partial(self._forget, organization, hold))
        hold.users += 1
        return hold

    def _forget(self, organization: str, hold: Hold) -> None:
        if self._holds.get(organization) is hold:
            del self._holds[organization]


class Hold:
    """One hold of one state lock, by a thread of its own, for as long as it has users:
    each `take` adds one, each `release` ends one.

    Not a thread of the loop's default pool: a few holds waiting for their
    writes would fill that pool, and a delete's state read (queued on it)
    would then wait for a hold that waits for it.
    """

    def __init__(self, store: StateStore, timeout: float) -> None:
        self.store = store
        self.users = 0
        self.leaving = False
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._taken: asyncio.Future[None] = self._loop.create_future()
        self._taken.add_done_callback(_retrieved)  # a failure no one awaited is not news
        self._release = threading.Event()
        self._gone: asyncio.Future[None] = self._loop.create_future()

    def start(self, forget: Callable[[], None]) -> None:
        self._gone.add_done_callback(lambda _: forget())
        where = self.store.location
        threading.Thread(target=self._run, name=f"pstokens lock {where}", daemon=True).start()

    async def taken(self) -> None:
        # Shielded: one caller giving up must not cancel the others' wait.
        await asyncio.shield(self._taken)

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self.leaving = True
            self._release.set()

    async def gone(self) -> None:
        await asyncio.shield(self._gone)

    def _run(self) -> None:
        try:
            self._hold()
        finally:
            self._tell(self._gone, None)

    def _tell(self, future: asyncio.Future[None], error: BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is left to tell
            self._loop.call_soon_threadsafe(_settle, future, error)

    def _hold(self) -> None:
        """In the worker thread: take the lock, say so, keep it until the last user leaves."""
        taken = False
        try:
            with self.store.locked(self._timeout):
                taken = True
                self._tell(self._taken, None)
                self._release.wait()
        except Exception as exc:  # noqa: BLE001 - passed on to the writes, or logged
            if not taken:  # handed to the writes waiting for it
                self._tell(self._taken, exc)
            else:  # failed letting go: nobody waits to hear it
                logger.warning(
                    "letting go of the state lock of %s failed: %s", self.store.location, exc
                )


@contextlib.asynccontextmanager
async def hold_lock(store: StateStore, timeout: float) -> AsyncIterator[None]:
    """Hold `store`'s lock (waiting up to `timeout` s) for the body; it is let go
    before this returns. A caller cancelled while waiting lets go once it is had."""
    hold = Hold(store, timeout)
    hold.users = 1
    hold.start(lambda: None)
    try:
        await hold.taken()
    except BaseException:
        hold.release()
        raise
    try:
        yield
    finally:
        hold.release()
        await hold.gone()


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _retrieved(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
