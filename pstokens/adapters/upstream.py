"""The six seed operations, sent through pstokens' client and answered as raw JSON.

Both adapters call these, so they agree on paths (the seed's `/accesses` is the
API's `/access`), on reading every page of a list, and on how an API error
becomes a status and body to pass on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pstokens.api.client import MAX_PER_PAGE, PlanetScaleClient
from pstokens.api.errors import ApiError, NotFound

# One path segment: starts with a letter or digit, so "." and ".." never reach a URL.
SEGMENT = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_SEGMENT = re.compile(SEGMENT)
NOT_FOUND_BODY = {"code": "not_found", "message": "Not Found"}
_MAX_PAGES = 10_000

# The API's `code` for a status, for error answers that came without a JSON body.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    422: "unprocessable",
    429: "rate_limited",
}


@dataclass(frozen=True)
class Answer:
    """What to send back: the API's status and JSON body (None when it had none)."""

    status: int
    body: Any = None


class Upstream:
    """The seed's operations on one shared client (its pacer, retries, credentials)."""

    def __init__(self, client: PlanetScaleClient) -> None:
        self._client = client

    async def list_tokens(self, org: str, paging: Mapping[str, str] | None = None) -> Answer:
        """Every token in one list envelope, or the one page `paging` asks for."""
        return await self._list(_tokens_path(org), paging)

    async def create_token(self, org: str, body: Any) -> Answer:
        """The API's answer as is: it carries the new token's secret, once."""
        return await self._send("POST", _tokens_path(org), body)

    async def get_token(self, org: str, token_id: str) -> Answer:
        return await self._send("GET", _token_path(org, token_id))

    async def delete_token(self, org: str, token_id: str) -> Answer:
        return await self._send("DELETE", _token_path(org, token_id))

    async def list_accesses(
        self, org: str, token_id: str, paging: Mapping[str, str] | None = None
    ) -> Answer:
        return await self._list(_token_path(org, token_id) + "/access", paging)

    async def grant_accesses(self, org: str, token_id: str, body: Any) -> Answer:
        """`body` is `{"database": ..., "access": [...]}`, sent as the caller wrote it."""
        return await self._send("POST", _token_path(org, token_id) + "/access", body)

    async def _send(self, method: str, path: str, body: Any = None) -> Answer:
        status, answer = await self._client.request_json(method, path, json=body)
        return Answer(status, answer)

    async def _list(self, path: str, paging: Mapping[str, str] | None) -> Answer:
        if paging:
            return await self._page(path, paging)
        return Answer(200, list_envelope(await self._read_all(path)))

    async def _page(self, path: str, paging: Mapping[str, str]) -> Answer:
        status, body = await self._client.request_json("GET", path, params=dict(paging))
        return Answer(status, body)

    async def _read_all(self, path: str) -> list[Any]:
        """Follow `next_page` to the end, dropping repeats an edit between pages can cause."""
        items: list[Any] = []
        seen: set[str] = set()
        page = 1
        for _ in range(_MAX_PAGES):
            _, body = await self._client.request_json(
                "GET", path, params={"page": page, "per_page": MAX_PER_PAGE}
            )
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ApiError(f"GET {path}: the answer is not a list envelope")
            for item in data:
                item_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(item_id, str):
                    if item_id in seen:
                        continue
                    seen.add(item_id)
                items.append(item)
            next_page = body.get("next_page")
            if not data or next_page is None:
                return items
            if not isinstance(next_page, int) or isinstance(next_page, bool) or next_page <= page:
                raise ApiError(f"GET {path}: the API gave next_page {next_page!r} after {page}")
            page = next_page
        raise ApiError(f"GET {path}: more than {_MAX_PAGES} pages")


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


def error_answer(exc: ApiError) -> Answer:
    """The status and body to pass on for an API error.

    An HTTP error is passed on as the API sent it; a failure with no HTTP answer
    (network, lost response, malformed answer) becomes 502.
    """
    status = exc.status
    if status is None or not 400 <= status <= 599:
        return Answer(502, {"code": "bad_gateway", "message": exc.message})
    if isinstance(exc.body, dict):
        return Answer(status, exc.body)
    return Answer(status, {"code": exc.code or _CODES.get(status, "error"), "message": exc.message})


def check_segment(value: str) -> str:
    """`value` if it can be one path segment; else the 404 the API gives for no such thing."""
    if not _SEGMENT.fullmatch(value):
        raise NotFound(
            "no such organization or token", status=404, code="not_found", body=dict(NOT_FOUND_BODY)
        )
    return value


def _tokens_path(org: str) -> str:
    return f"/organizations/{quote(check_segment(org), safe='')}/service-tokens"


def _token_path(org: str, token_id: str) -> str:
    return f"{_tokens_path(org)}/{quote(check_segment(token_id), safe='')}"
