"""Fakes for the API client tests: a virtual clock and builders of API JSON."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any

BASE_URL = "https://api.test/v1"
ORG = "acme"
AUTH_ID = "svctokenid01"
AUTH_SECRET = "pscale_tkn_AUTHSECRETvalue0123456789"
NEW_SECRET = "pscale_tkn_NEWSECRETvalue9876543210"
STAMP = "2026-01-14T10:19:23.000Z"

# How many loop turns the fake clock lets pass before it moves time on: enough
# for every runnable task to reach its next sleep (mocked HTTP does no real I/O).
_SETTLE_TURNS = 50


class FakeClock:
    """Virtual time: `sleep` returns when time reaches its deadline, and time
    jumps to the earliest deadline once every task is waiting, so concurrent
    sleepers wake in deadline order and nothing really sleeps."""

    def __init__(self, start: float = 1000.0, epoch: float = 1_767_225_600.0) -> None:
        self.now = start
        self._epoch_offset = epoch - start
        self.sleeps: list[float] = []
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._ticker: asyncio.Task[None] | None = None

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self._epoch_offset + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters, (self.now + seconds, next(self._seq), future))
        if self._ticker is None or self._ticker.done():
            self._ticker = loop.create_task(self._tick())
        await future

    async def _tick(self) -> None:
        while True:
            for _ in range(_SETTLE_TURNS):
                await asyncio.sleep(0)
            while self._waiters and self._waiters[0][2].done():
                heapq.heappop(self._waiters)  # cancelled sleeper
            if not self._waiters:
                self._ticker = None
                return
            self.now = max(self.now, self._waiters[0][0])
            while self._waiters and self._waiters[0][0] <= self.now:
                _, _, future = heapq.heappop(self._waiters)
                if not future.done():
                    future.set_result(None)


def token_json(
    token_id: str,
    name: str | None = None,
    *,
    accesses: list[dict[str, Any]] | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    return {
        "id": token_id,
        "type": "ServiceToken",
        "name": name,
        "display_name": name,
        "token": secret,
        "created_at": STAMP,
        "updated_at": STAMP,
        "last_used_at": None,
        "expires_at": None,
        "actor_id": None,
        "actor_display_name": None,
        "actor_type": None,
        "service_token_accesses": accesses,
    }


def access_json(
    access: str, database: str | None = None, access_id: str = "hjqui654yu71"
) -> dict[str, Any]:
    if database is None:
        resource = {"id": "orgid0000001", "type": "Organization", "name": ORG}
        kind = "OrganizationAccess"
    else:
        resource = {"id": "1lbjwnp48b6r", "type": "Database", "name": database}
        kind = "DatabaseAccess"
    return {"id": access_id, "type": kind, "access": access, "resource": resource}


def envelope(
    data: list[Any], page: int = 1, per_page: int = 25, next_page: int | None = None
) -> dict[str, Any]:
    return {
        "type": "list",
        "current_page": page,
        "per_page": per_page,
        "next_page": next_page,
        "next_page_url": None,
        "prev_page": page - 1 if page > 1 else None,
        "prev_page_url": None,
        "data": data,
    }


def token_ids(count: int) -> list[str]:
    return [f"tok{n:09d}" for n in range(count)]
