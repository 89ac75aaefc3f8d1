"""A long list is read with its pages in flight together, not one round trip after another.

A fake API at the transport serves N tokens, 100 a page, each answer after a
short delay, and records how many requests were in flight at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from pstokens.api import ApiError, Credentials, PlanetScaleClient, ServerError
from pstokens.api.retry import RetryPolicy

ORG = "acme"


class PagedApi:
    def __init__(self, total: int, *, with_totals: bool = True, grow_to: int | None = None,
                 fail_page: int | None = None) -> None:
        self.total = total
        self.with_totals = with_totals
        self.grow_to = grow_to  # the list grows to this size once page 1 has been served
        self.fail_page = fail_page
        self.pages: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            page = int(request.url.params["page"])
            per_page = int(request.url.params["per_page"])
            self.pages.append(page)
            if page == self.fail_page:
                return httpx.Response(500, json={"code": "internal_error", "message": "boom"})
            body = self.envelope(page, per_page)
            if page == 1 and self.grow_to is not None:
                self.total = self.grow_to
            return httpx.Response(200, json=body)
        finally:
            self.in_flight -= 1

    def envelope(self, page: int, per_page: int) -> dict[str, Any]:
        first, last = (page - 1) * per_page, min(page * per_page, self.total)
        ids = [f"tok{n:09d}" for n in range(first, last)]
        pages = -(-self.total // per_page)
        body: dict[str, Any] = {
            "type": "list", "current_page": page, "per_page": per_page,
            "next_page": page + 1 if page < pages else None,
            "data": [{"id": i, "name": i, "service_token_accesses": []} for i in ids],
        }
        if self.with_totals:
            body |= {"total_count": self.total, "total_pages": pages}
        return body


def client(api: PagedApi) -> PlanetScaleClient:
    return PlanetScaleClient(
        "https://api.test/v1", Credentials.bearer("perf-tests"),
        transport=httpx.MockTransport(api), rate_limit=0, parallelism=10,
        retry=RetryPolicy(max_attempts=1),
    )


async def test_after_page_one_the_other_pages_are_read_together() -> None:
    api = PagedApi(1000)
    async with client(api) as c:
        tokens = await c.list_tokens(ORG)
    assert len(tokens) == 1000
    assert sorted(api.pages) == list(range(1, 11))
    assert api.pages[0] == 1
    assert api.most_in_flight == 9


async def test_pages_that_state_expects_are_read_with_page_one() -> None:
    api = PagedApi(1000)
    async with client(api) as c:
        tokens = await c.list_tokens(ORG, expected=1000)
    assert len(tokens) == 1000
    assert sorted(api.pages) == list(range(1, 11))
    assert api.most_in_flight == 10


async def test_expecting_more_than_exist_costs_at_most_the_pages_expected() -> None:
    api = PagedApi(120)
    async with client(api) as c:
        tokens = await c.list_tokens(ORG, expected=300)
    assert len(tokens) == 120
    assert sorted(api.pages) == [1, 2, 3]


async def test_without_totals_the_pages_are_followed_one_by_one() -> None:
    api = PagedApi(350, with_totals=False)
    async with client(api) as c:
        tokens = await c.list_tokens(ORG)
    assert len(tokens) == 350
    assert api.pages == [1, 2, 3, 4]
    assert api.most_in_flight == 1


async def test_a_list_that_grows_while_read_is_read_to_its_new_end() -> None:
    api = PagedApi(150, grow_to=420)
    async with client(api) as c:
        tokens = await c.list_tokens(ORG)
    assert len(tokens) == 420
    assert sorted(api.pages) == [1, 2, 3, 4, 5]


async def test_a_failing_page_raises_the_api_error_itself() -> None:
    api = PagedApi(1000, fail_page=4)
    async with client(api) as c:
        with pytest.raises(ServerError) as caught:
            await c.list_tokens(ORG, expected=1000)
    assert isinstance(caught.value, ApiError)
