"""The PlanetScale service-token API as typed async calls.

Knows the paths, the list envelope and the models; everything about sending
(auth, pacing, retries, error mapping) is the session's. Callers never see an
httpx type, only models and `pstokens.api.errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from pstokens.api.answers import read_json, read_model, read_object, unique_by_id
from pstokens.api.auth import Credentials
from pstokens.api.clock import Clock, SystemClock
from pstokens.api.errors import ApiError, InvalidRequest
from pstokens.api.models import CreatedToken, Page, ServiceToken, TokenAccess
from pstokens.api.retry import RetryPolicy
from pstokens.api.session import Session
from pstokens.api.stats import ClientStats
from pstokens.secret import Secret

DEFAULT_API_URL = "https://api.planetscale.com/v1"
MAX_PER_PAGE = 100
# Pages of one list asked for at once; past that (ten thousand tokens), one at a time.
MAX_PAGES_AT_ONCE = 100
# A list longer than this (a million items) is taken for an API that pages forever.
MAX_PAGES = 10_000

LOST_CREATE = "the token may or may not have been created"
_LOST_WRITE = "the request may or may not have taken effect"

T = TypeVar("T")
M = TypeVar("M")  # what a list holds


class PlanetScaleClient:
    """One organization-agnostic client; share it across all calls of a run.

    All calls share one pacer (`rate_limit` requests a minute, 0 for none) and
    at most `parallelism` requests in flight. Use it as an async context
    manager, or call `aclose`.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        credentials: Credentials | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit: int = 600,
        parallelism: int = 10,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        per_page: int = MAX_PER_PAGE,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        self._per_page = per_page
        # What a client for other credentials needs (`verify_credentials`).
        self._sibling = _SiblingSettings(base_url, transport, retry or RetryPolicy(),
                                         clock or SystemClock(), timeout)
        self._session = Session(
            base_url,
            credentials,
            transport=transport,
            rate_limit=rate_limit,
            parallelism=parallelism,
            retry=retry or RetryPolicy(),
            clock=clock or SystemClock(),
            timeout=timeout,
        )

    @property
    def stats(self) -> ClientStats:
        return self._session.stats

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    # Tokens

    async def list_tokens(self, org: str, *, expected: int = 0) -> list[ServiceToken]:
        """Every token of `org`, all pages read.

        `expected` is how many tokens the caller knows exist (those in state):
        the pages they fill are asked for together, saving a round trip.
        """
        operation = f'list service tokens in "{org}"'
        return unique_by_id(
            await self._list_all(_tokens_path(org), operation, Page[ServiceToken], expected)
        )

    async def get_token(self, org: str, token_id: str) -> ServiceToken:
        operation = f'get service token "{token_id}" in "{org}"'
        _, body = await self._session.request(
            "GET", _token_path(org, token_id), operation=operation, idempotent=True
        )
        return read_model(operation, ServiceToken, read_object(operation, body))

    async def create_token(
        self, org: str, name: str | None = None, ttl: int | None = None
    ) -> CreatedToken:
        """Create a token; its secret (and any refresh token) come back once, as `Secret`s.

        Resent only when the request provably never reached PlanetScale; any
        other lost answer raises `OutcomeUnknown` (the caller reconciles by name).
        """
        operation = f'create service token "{name or ""}" in "{org}"'
        payload: dict[str, Any] = {}
        if name is not None:
            payload["name"] = name
        if ttl is not None:
            payload["ttl"] = ttl
        status, body = await self._session.request(
            "POST",
            _tokens_path(org),
            operation=operation,
            json=payload,
            idempotent=False,
            effect=LOST_CREATE,
        )
        item = read_object(operation, body)
        secret = item.get("token")
        refresh = item.get("plain_text_refresh_token")
        token = read_model(operation, ServiceToken, item)
        if not isinstance(secret, str) or not secret:
            raise ApiError(
                f'{operation}: token "{token.id}" was created but the answer carries no secret',
                status=status,
                hint=f'delete token "{token.id}" and run apply again',
            )
        return CreatedToken(
            token=token,
            secret=Secret(secret),
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
        )

    async def delete_token(self, org: str, token_id: str) -> None:
        operation = f'delete service token "{token_id}" in "{org}"'
        # Deleting twice leaves the same result (the second answers 404, which the caller sees).
        await self._session.request(
            "DELETE", _token_path(org, token_id), operation=operation, idempotent=True
        )

    async def verify_credentials(self, token_id: str, secret: Secret) -> None:
        """Call the API once as token `token_id` (`GET /organizations`, which needs
        no access). Returns if PlanetScale accepts its credentials; else raises the
        mapped `ApiError` (401 for credentials it refuses)."""
        sibling = self._sibling
        session = Session(
            sibling.base_url, Credentials.service_token(token_id, secret.reveal()),
            transport=_Borrowed(sibling.transport) if sibling.transport else None,
            rate_limit=0, parallelism=1, retry=sibling.retry, clock=sibling.clock,
            timeout=sibling.timeout,
        )
        try:
            await session.request("GET", "/organizations", idempotent=True,
                                  operation=f'verify new service token "{token_id}"')
        finally:
            await session.aclose()

    # Accesses

    async def list_accesses(self, org: str, token_id: str) -> list[TokenAccess]:
        """The token's accesses, from `GET .../access`, all pages read."""
        operation = f'list accesses of service token "{token_id}" in "{org}"'
        path = _token_path(org, token_id) + "/access"
        return unique_by_id(await self._list_all(path, operation, Page[TokenAccess]))

    async def accesses_of(self, org: str, token: ServiceToken) -> list[TokenAccess]:
        """The accesses embedded in `token` when the API sent them, else a fresh read."""
        if token.accesses is not None:
            return list(token.accesses)
        return await self.list_accesses(org, token.id)

    async def grant_accesses(
        self,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None = None,
    ) -> list[TokenAccess]:
        """Grant several accesses on one database (or the organization) in one call."""
        where = f'database "{database}"' if database else "the organization"
        operation = (
            f'grant {", ".join(accesses)} on {where} to service token "{token_id}" in "{org}"'
        )
        _, body = await self._session.request(
            "POST",
            _token_path(org, token_id) + "/access",
            operation=operation,
            json=_access_body(accesses, database),
            idempotent=True,  # a grant only adds what is missing
        )
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return []
        return read_model(operation, Page[TokenAccess], body).data

    async def revoke_accesses(
        self,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None = None,
    ) -> None:
        """Revoke several accesses on one database (or the organization) in one call."""
        where = f'database "{database}"' if database else "the organization"
        operation = (
            f'revoke {", ".join(accesses)} on {where} from service token "{token_id}" in "{org}"'
        )
        await self._session.request(
            "DELETE",
            _token_path(org, token_id) + "/access",
            operation=operation,
            json=_access_body(accesses, database),
            idempotent=True,  # a revoke only removes what is there
        )

    async def list_grants(self, org: str, token_id: str) -> list[dict[str, Any]]:
        """The token's accesses grouped by resource, as the API sends them."""
        operation = f'list grants of service token "{token_id}" in "{org}"'
        # The grants' shape is not published: each item is kept as the JSON object it is.
        path = _token_path(org, token_id) + "/grants"
        return await self._list_all(path, operation, Page[dict[str, Any]])

    # Pass-through for the adapters

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        effect: str = _LOST_WRITE,
    ) -> tuple[int, Any]:
        """Send a raw call (path relative to the base URL); return (status, JSON or None).

        Same auth, pacing and retries as the typed calls. Error statuses raise
        the mapped `ApiError`, whose `.status`, `.code` and `.body` carry the
        API's answer. The caller says whether the call is `idempotent`: one
        that is not (a create) is resent only when it provably never reached
        the server, and a lost answer raises `OutcomeUnknown` ending with `effect`.
        """
        method = method.upper()
        _check_relative(path)
        return await self._session.request(
            method,
            path,
            operation=f"{method} {path}",
            params=params,
            json=json,
            idempotent=idempotent,
            effect=effect,
        )

    async def list_json(self, path: str) -> list[dict[str, Any]]:
        """Every item of the list at `path` (relative to the base URL), as JSON
        objects: the same paging as the typed lists, repeats dropped by ID."""
        _check_relative(path)
        return unique_by_id(await self._list_all(path, f"GET {path}", Page[dict[str, Any]]))

    async def _list_all(
        self, path: str, operation: str, shape: type[Page[M]], expected: int = 0
    ) -> list[M]:
        """Follow `next_page` to the end; stop early on an empty page.

        Pages are read together where their numbers are known in advance: the
        ones `expected` items fill, then the rest up to page 1's `total_pages`.
        Reading walks `next_page` from page 1, fetching any page not read yet,
        so an API without totals or a list that grew meanwhile is read whole.
        Each page is validated as `shape` straight from its bytes as it arrives.
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

    async def _pages(
        self, path: str, operation: str, shape: type[Page[M]], numbers: range
    ) -> dict[int, Page[M]]:
        """Pages `numbers`, read together."""
        read = await _all(self._page(path, operation, shape, n) for n in numbers)
        return dict(zip(numbers, read, strict=True))

    async def _page(self, path: str, operation: str, shape: type[Page[M]], page: int) -> Page[M]:
        status, content = await self._session.request(
            "GET",
            path,
            operation=operation,
            idempotent=True,
            params={"page": page, "per_page": self._per_page},
            raw=True,
        )
        return read_json(operation, shape, status, content)


@dataclass(frozen=True)
class _SiblingSettings:
    base_url: str
    transport: httpx.AsyncBaseTransport | None
    retry: RetryPolicy
    clock: Clock
    timeout: float


class _Borrowed(httpx.AsyncBaseTransport):
    """A transport lent to a short-lived session: closing that session leaves it open."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        return None


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


def _tokens_path(org: str) -> str:
    return f"/organizations/{_segment(org)}/service-tokens"


def _token_path(org: str, token_id: str) -> str:
    return f"{_tokens_path(org)}/{_segment(token_id)}"


def _segment(value: str) -> str:
    # An organization or ID is one path segment, never a way to another path:
    # "/" is escaped, and "." or ".." (even escaped) are resolved away by httpx.
    if not value or value in (".", ".."):
        raise InvalidRequest(f"{value!r} is not an organization or service token ID")
    return quote(value, safe="")


def _check_relative(path: str) -> None:
    """Refuse a pass-through path that could carry the credentials to another URL."""
    bare = path.split("?", 1)[0]
    if not bare.startswith("/") or bare.startswith("//") or "://" in bare:
        raise InvalidRequest(f"{path!r} is not a path relative to the API URL")
    if any(part in (".", "..") for part in bare.split("/")):
        raise InvalidRequest(f"{path!r} must not contain '.' or '..' segments")


def _access_body(accesses: Sequence[str], database: str | None) -> dict[str, Any]:
    if isinstance(accesses, str):
        raise TypeError("accesses must be a sequence of access names, not one string")
    body: dict[str, Any] = {"access": list(accesses)}
    if database:  # None or "": the organization, for which the body leaves database out
        body = {"database": database, **body}
    return body

