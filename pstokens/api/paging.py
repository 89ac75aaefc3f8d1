"""Reading the API's paged lists: every page of one, or the one page a caller asks for.

The client's typed lists and its JSON lists (what the adapters pass on) page
the same way here: pages read together where their numbers are known, each
validated straight from its bytes, `next_page` followed to the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

from pstokens.api.answers import read_json, read_model, read_object
from pstokens.api.errors import ApiError
from pstokens.api.models import Page
from pstokens.api.session import HttpSession

MAX_PER_PAGE = 100
# Pages of one list asked for at once; past that (ten thousand tokens), one at a time.
MAX_PAGES_AT_ONCE = 100
# A list longer than this (a million items) is taken for an API that pages forever.
MAX_PAGES = 10_000

T = TypeVar("T")
M = TypeVar("M")  # what a list holds


class PageOf(Protocol[M]):
    """A page as the pager follows it: a pydantic `Page`, or a struct decoded faster."""

    @property
    def data(self) -> list[M]: ...

    @property
    def next_page(self) -> Any: ...

    @property
    def total_pages(self) -> Any: ...


# A page model, or a function decoding a page's bytes (operation, status, content).
Shape = type[Page[M]] | Callable[[str, int, bytes], PageOf[M]]


class Pager:
    """Reads lists through one session, `per_page` items a page."""

    def __init__(self, session: HttpSession, per_page: int) -> None:
        self._session = session
        self._per_page = per_page

    async def read_all(
        self, path: str, operation: str, shape: Shape[M], expected: int = 0
    ) -> list[M]:
        """Follow `next_page` to the end; stop early on an empty page.

        Pages are read together where their numbers are known in advance: the
        ones `expected` items fill, then the rest up to page 1's `total_pages`.
        Reading walks `next_page` from page 1, fetching any page not read yet,
        so an API without totals or a list that grew meanwhile is read whole.
        Each page is validated as `shape` (or decoded by it) straight from its
        bytes as it arrives.
        """
        known = max(1, -(-expected // self._per_page))
        pages = await self._pages(path, operation, shape, range(1, known + 1))
        total = min(_whole_number(pages[1].total_pages) or 0, MAX_PAGES_AT_ONCE)
        pages.update(await self._pages(path, operation, shape, range(len(pages) + 1, total + 1)))
        read: list[M] = []
        page, current = 1, pages[1]
        while True:
            read.extend(current.data)
            next_page = current.next_page
            if not current.data or next_page is None:
                return read
            if _whole_number(next_page) is None or next_page <= page:
                raise ApiError(
                    f"{operation}: the API gave next_page {next_page!r} after page {page}"
                )
            if next_page > MAX_PAGES:
                raise ApiError(f"{operation}: the API gave more than {MAX_PAGES} pages")
            page = next_page
            current = pages.get(page) or await self._page(path, operation, shape, page)

    async def read_one(
        self, path: str, operation: str, page: int | None, per_page: int | None
    ) -> dict[str, Any]:
        """The one page the caller asked for (the API's defaults for what it left
        out), in the API's envelope as sent, once checked to hold a list."""
        params = {name: value for name, value in (("page", page), ("per_page", per_page))
                  if value is not None}
        _, body = await self._session.request(
            "GET", path, operation=operation, idempotent=True, params=params
        )
        read_model(operation, Page[Any], read_object(operation, body))
        return read_object(operation, body)

    async def _pages(
        self, path: str, operation: str, shape: Shape[M], numbers: range
    ) -> dict[int, PageOf[M]]:
        """Pages `numbers`, read together."""
        read = await _all(self._page(path, operation, shape, n) for n in numbers)
        return dict(zip(numbers, read, strict=True))

    async def _page(self, path: str, operation: str, shape: Shape[M], page: int) -> PageOf[M]:
        status, content = await self._session.request(
            "GET",
            path,
            operation=operation,
            idempotent=True,
            params={"page": page, "per_page": self._per_page},
            raw=True,
        )
        if isinstance(shape, type):
            return read_json(operation, shape, status, content)
        return shape(operation, status, content)


def list_envelope(data: list[Any]) -> dict[str, Any]:
    """The API's list envelope holding every item on one page."""
    return {
        "type": "list",
        "current_page": 1,
        "per_page": max(len(data), 25),
        "next_page": None,
        "next_page_url": None,
        "prev_page": None,
        "prev_page_url": None,
        "total_count": len(data),
        "total_pages": 1,
        "data": data,
    }


def _whole_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _all(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Run `calls` together; if one fails, cancel the rest and raise its error."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
