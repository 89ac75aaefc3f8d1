"""The REST adapter: the seed's six paths (and revoke), on pstokens' typed client.

Callers get PlanetScale's JSON as PlanetScale gave it (and an error's status
and body as sent), with pstokens' pagination, pacing, retries and credentials
behind it; the callers themselves only ever present the serve token. Writes
wait for the state lock, and answer 409 `state_locked` while a plan or apply
holds it. Accesses are served at the seed's `/accesses` and at the API's
`/access`, so PlanetScale's own client (and `pscale`) can be pointed at the
adapter unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pstokens.adapters.bearer import BearerAuthMiddleware, check_serve_token
from pstokens.adapters.openapi import openapi_document
from pstokens.adapters.operations import NOT_FOUND_BODY, Operations
from pstokens.adapters.rest_bodies import (
    AccessChange,
    Answer,
    BadRequest,
    CreateBody,
    error_answer,
    read_body,
    read_paging,
)
from pstokens.adapters.whocan import WhoCan
from pstokens.api.client import PlanetScaleClient
from pstokens.engine.applying.writeguard import WriteGuard
from pstokens.engine.open import StateStores
from pstokens.errors import PstokensError

TOKENS = "/v1/organizations/{organization}/service-tokens"
TOKEN = TOKENS + "/{token_id}"
ACCESSES = TOKEN + "/accesses"  # the seed's path
ACCESS = TOKEN + "/access"  # the API's own
MAX_BODY_BYTES = 64 * 1024
_HEADERS = {"Cache-Control": "no-store"}
_NOT_ALLOWED_BODY = {"code": "method_not_allowed", "message": "Method Not Allowed"}

Handler = Callable[[Request], Awaitable[Response]]


def create_rest_app(
    client: PlanetScaleClient, serve_token: str, *, guard: WriteGuard | None = None,
    state_store: StateStores | None = None,
) -> Starlette:
    """The REST adapter over an open client, callers gated by `serve_token`;
    `guard` runs writes under the state lock and refuses deleting what state protects."""
    check_serve_token(serve_token)
    calls = _Calls(Operations(client, guard))
    # One route per path, its methods together, so a 405's `Allow` names them all.
    access_methods = {"GET": calls.list_accesses, "POST": calls.grant_accesses,
                      "DELETE": calls.revoke_accesses}
    routes = [
        _by_method(TOKENS, {"GET": calls.list_tokens, "POST": calls.create_token}),
        _by_method(TOKEN, {"GET": calls.get_token, "DELETE": calls.delete_token}),
        _by_method(ACCESSES, access_methods),
        _by_method(ACCESS, access_methods),
        Route("/openapi.json", _openapi, methods=["GET"], name="openapi"),
        WhoCan(client, state_store).route(),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                BearerAuthMiddleware,
                token=serve_token,
                unauthorized=lambda message: {"code": "unauthorized", "message": message},
            )
        ],
        exception_handlers={HTTPException: _http_error},
        max_body_size=MAX_BODY_BYTES,
    )


class _Calls:
    """Each path's methods: a request read into one typed operation, its answer."""

    def __init__(self, operations: Operations) -> None:
        self.operations = operations

    async def list_tokens(self, request: Request) -> Answer:
        listed = await self.operations.list_tokens(_org(request),
                                                   **read_paging(request.query_params))
        return Answer(200, _local_page_urls(request, listed))

    async def create_token(self, request: Request) -> Answer:
        body = read_body(await request.body(), CreateBody)
        return Answer(200, await self.operations.create_token(_org(request), body.name,
                                                              body.ttl))

    async def get_token(self, request: Request) -> Answer:
        return Answer(200, await self.operations.get_token(_org(request), _token_id(request)))

    async def delete_token(self, request: Request) -> Answer:
        await self.operations.delete_token(_org(request), _token_id(request))
        return Answer(204)

    async def list_accesses(self, request: Request) -> Answer:
        paging = read_paging(request.query_params)
        listed = await self.operations.list_accesses(_org(request), _token_id(request), **paging)
        return Answer(200, _local_page_urls(request, listed))

    async def grant_accesses(self, request: Request) -> Answer:
        change = read_body(await request.body(), AccessChange)
        return _changed(await self.operations.grant_accesses(
            _org(request), _token_id(request), change.access, change.database))

    async def revoke_accesses(self, request: Request) -> Answer:
        change = read_body(await request.body(), AccessChange)
        return _changed(await self.operations.revoke_accesses(
            _org(request), _token_id(request), change.access, change.database))


def _forward(call: Callable[[Request], Awaitable[Answer]]) -> Handler:
    """An endpoint answering with `call`'s answer, or with the error it raised."""
    async def endpoint(request: Request) -> Response:
        try:
            answer = await call(request)
        except PstokensError as exc:
            answer = error_answer(exc)
        except BadRequest as exc:
            answer = exc.answer
        return _response(answer)

    return endpoint


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(str(request.base_url).rstrip("/")), headers=_HEADERS)


def _by_method(path: str, calls: Mapping[str, Callable[[Request], Awaitable[Answer]]]) -> Route:
    handlers = {method: _forward(call) for method, call in calls.items()}

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, endpoint, methods=list(calls))


def _response(answer: Answer) -> Response:
    if answer.body is None:
        return Response(status_code=answer.status, headers=_HEADERS)
    return JSONResponse(answer.body, status_code=answer.status, headers=_HEADERS)


def _org(request: Request) -> str:
    org: str = request.path_params["organization"]
    return org


def _token_id(request: Request) -> str:
    token_id: str = request.path_params["token_id"]
    return token_id


def _changed(body: dict[str, Any] | None) -> Answer:
    """A grant's or revoke's answer: the API's list of accesses, or no content if it sent none."""
    return Answer(204) if body is None else Answer(200, body)


def _local_page_urls(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """A single page's links rewritten to point at this adapter, not at the API."""
    if "next_page_url" not in body:
        return body
    body = dict(body)
    for field in ("next_page", "prev_page"):
        number = body.get(field)
        body[field + "_url"] = (
            str(request.url.include_query_params(page=number)) if isinstance(number, int) else None
        )
    return body


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # An unknown path or a method a path does not serve, in the API's own words.
    status = exc.status_code
    body = {404: NOT_FOUND_BODY, 405: _NOT_ALLOWED_BODY}
    headers = {**_HEADERS, **(exc.headers or {})}
    return JSONResponse(
        body.get(status) or {"code": _code(status), "message": str(exc.detail)},
        status_code=status,
        headers=headers,
    )


def _code(status: int) -> str:
    return {400: "bad_request", 413: "payload_too_large"}.get(status, "error")
