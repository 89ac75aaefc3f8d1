"""The seed's operations (and revoke), sent through pstokens' client and answered as raw JSON.

Both adapters call these, so they agree on paths (the seed's `/accesses` is the
API's `/access`), on reading every page of a list (the client's one paging
path), on what an organization-level grant looks like, on refusing to delete
a protected token, and on how an API error becomes a status and body to pass on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pstokens.adapters.protection import DeleteGuard
from pstokens.api.client import LOST_CREATE, PlanetScaleClient
from pstokens.api.errors import ApiError, NotFound

# One path segment: starts with a letter or digit, so "." and ".." never reach a URL.
SEGMENT = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_SEGMENT = re.compile(SEGMENT)
NOT_FOUND_BODY = {"code": "not_found", "message": "Not Found"}

# The API's `code` for a status, for error answers that came without a JSON body.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "unprocessable",
    429: "rate_limited",
}


@dataclass(frozen=True)
class Answer:
    """What to send back: the API's status and JSON body (None when it had none)."""

    status: int
    body: Any = None


class Upstream:
    """The operations on one shared client (its pacer, retries, credentials).

    Every call says whether it is idempotent: only a create is not, so only a
    create whose answer is lost comes back as "may or may not have happened".
    """

    def __init__(self, client: PlanetScaleClient, guard: DeleteGuard | None = None) -> None:
        self._client = client
        self._guard = guard or DeleteGuard(None)

    async def list_tokens(self, org: str, paging: Mapping[str, str] | None = None) -> Answer:
        """Every token in one list envelope, or the one page `paging` asks for."""
        return await self._list(_tokens_path(org), paging)

    async def create_token(self, org: str, body: Any) -> Answer:
        """The API's answer as is: it carries the new token's secrets, once."""
        status, answer = await self._client.request_json(
            "POST", _tokens_path(org), json=body, idempotent=False, effect=LOST_CREATE
        )
        return Answer(status, answer)

    async def get_token(self, org: str, token_id: str) -> Answer:
        return await self._send("GET", _token_path(org, token_id))

    async def delete_token(self, org: str, token_id: str) -> Answer:
        """Refused (`Refused`, 409) when state marks the token `prevent_destroy`."""
        path = _token_path(org, token_id)
        await self._guard.check(org, token_id)
        return await self._send("DELETE", path)

    async def list_accesses(
        self, org: str, token_id: str, paging: Mapping[str, str] | None = None
    ) -> Answer:
        return await self._list(_token_path(org, token_id) + "/access", paging)

    async def grant_accesses(self, org: str, token_id: str, body: Any) -> Answer:
        """`body` is `{"database": ..., "access": [...]}`; see `access_body`."""
        return await self._send("POST", _token_path(org, token_id) + "/access", access_body(body))

    async def revoke_accesses(self, org: str, token_id: str, body: Any) -> Answer:
        """The grant's body, on a DELETE: the API answers with what is left."""
        return await self._send("DELETE", _token_path(org, token_id) + "/access", access_body(body))

    async def _send(self, method: str, path: str, body: Any = None) -> Answer:
        # GET, DELETE and a grant or revoke leave the same result however often sent.
        status, answer = await self._client.request_json(method, path, json=body, idempotent=True)
        return Answer(status, answer)

    async def _list(self, path: str, paging: Mapping[str, str] | None) -> Answer:
        if paging:
            status, body = await self._client.request_json(
                "GET", path, params=dict(paging), idempotent=True
            )
            return Answer(status, body)
        return Answer(200, list_envelope(await self._client.list_json(path)))


def access_body(body: Any) -> Any:
    """A grant or revoke body with an organization-level `database` left out.

    Callers may send `database` missing, null or empty (PlanetScale's own
    client sends `""`); pstokens sends the API one form, the one its client
    uses. Anything else passes as the caller wrote it, for the API to judge.
    """
    if isinstance(body, dict) and "database" in body and body["database"] in (None, ""):
        return {name: value for name, value in body.items() if name != "database"}
    return body


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
