"""The emulated PlanetScale service-token API as a Starlette app.

Routes follow `planetscale-api.md` to the letter; the fault, auth and stats
layers wrap them so a client meets the same failures it would in production.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pstokens.emulator.auditroutes import audit_routes
from pstokens.emulator.auth import AuthMiddleware
from pstokens.emulator.faults import FaultMiddleware, Faults
from pstokens.emulator.grants import InvalidParams, check_accesses
from pstokens.emulator.operations_routes import AccessMiddleware, operation_index, table_routes
from pstokens.emulator.records import parse_time
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.shapes import dump, error_json, list_json
from pstokens.emulator.stats import Stats, StatsMiddleware
from pstokens.emulator.store import EmulatorStore, NotFound

ORG_PATH = "/v1/organizations/{organization}"
TOKEN_PATH = ORG_PATH + "/service-tokens/{token_id}"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


class ApiError(Exception):
    """An error answer: status, the API's `code` and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found() -> ApiError:
    return ApiError(404, "not_found", "Not Found")


class _Api:
    """The route handlers, bound to one store and one set of settings."""

    def __init__(self, settings: EmulatorSettings, store: EmulatorStore, stats: Stats) -> None:
        self.settings = settings
        self.store = store
        self.stats = stats

    def routes(self) -> list[Route]:
        token_routes = [
            Route("/v1/organizations", self.list_organizations, methods=["GET"]),
            Route(ORG_PATH + "/service-tokens", self.list_tokens, methods=["GET"]),
            Route(ORG_PATH + "/service-tokens", self.create_token, methods=["POST"]),
            Route(TOKEN_PATH, self.get_token, methods=["GET"]),
            Route(TOKEN_PATH, self.delete_token, methods=["DELETE"]),
            Route(TOKEN_PATH + "/grants", self.list_grants, methods=["GET"]),
        ]
        # `/access` is the official client's path; `/accesses` is the seed's alias.
        for suffix in ("/access", "/accesses"):
            token_routes += [
                Route(TOKEN_PATH + suffix, self.list_accesses, methods=["GET"]),
                Route(TOKEN_PATH + suffix, self.grant, methods=["POST"]),
            ]
        token_routes.append(Route(TOKEN_PATH + "/access", self.revoke, methods=["DELETE"]))
        admin_routes = [
            Route("/_emulator/stats", self.stats_view, methods=["GET"]),
            Route("/_emulator/stats/reset", self.stats_reset, methods=["POST"]),
            Route(
                "/_emulator/organizations/{organization}/service-tokens/{token_id}",
                self.set_times,
                methods=["PATCH"],
            ),
            Route("/_emulator/refuse", self.refuse, methods=["POST"]),
        ]
        return token_routes + admin_routes

    # -- tokens ----------------------------------------------------------------

    async def list_tokens(self, request: Request) -> Response:
        org = self._org(request)
        page, per_page = _paging(request)
        data, total = self.store.page(org, page, per_page)
        return _envelope(request, data, page, per_page, total)

    async def create_token(self, request: Request) -> Response:
        org = self._org(request)
        body = await _json_body(request)
        token, _secret = self.store.create_token(org, body.get("name"), body.get("ttl"))
        return JSONResponse(token)

    async def get_token(self, request: Request) -> Response:
        return JSONResponse(self.store.token(self._org(request), _token_id(request)))

    async def delete_token(self, request: Request) -> Response:
        self.store.delete_token(self._org(request), _token_id(request))
        return Response(status_code=204)

    async def list_organizations(self, request: Request) -> Response:
        """Any caller may list: a service token sees its own organization."""
        header = request.headers.get("authorization", "")
        token_id, colon, _ = header.partition(":")
        own = token_id if colon and not header.startswith("Bearer ") else None
        items = self.store.organizations_of(own)
        if self.settings.organizations:
            items = [o for o in items if o["name"] in self.settings.organizations]
        return _paged(request, items)

    # -- accesses --------------------------------------------------------------

    async def list_accesses(self, request: Request) -> Response:
        items = self.store.accesses(self._org(request), _token_id(request))
        return _paged(request, items)

    async def list_grants(self, request: Request) -> Response:
        items = self.store.grants(self._org(request), _token_id(request))
        return _paged(request, items)

    async def grant(self, request: Request) -> Response:
        org, accesses, database = await self._access_change(request)
        self.store.grant(org, _token_id(request), accesses, database)
        return _whole(request, self.store.accesses(org, _token_id(request)))

    async def revoke(self, request: Request) -> Response:
        org, accesses, database = await self._access_change(request)
        self.store.revoke(org, _token_id(request), accesses, database)
        return _whole(request, self.store.accesses(org, _token_id(request)))

    async def _access_change(self, request: Request) -> tuple[str, list[str], str | None]:
        org = self._org(request)
        body = await _json_body(request)
        accesses, database = check_accesses(body.get("access"), body.get("database"))
        known = self.settings.databases
        if database is not None and known and database not in known:
            raise not_found()
        return org, accesses, database

    # -- admin (no auth, no faults, not counted) --------------------------------

    async def stats_view(self, request: Request) -> Response:
        return JSONResponse(self.stats.snapshot())

    async def stats_reset(self, request: Request) -> Response:
        self.stats.reset()
        return JSONResponse(self.stats.snapshot())

    async def set_times(self, request: Request) -> Response:
        org = request.path_params["organization"]
        body = await _json_body(request)
        times = {}
        for field in ("created_at", "expires_at", "last_used_at"):
            value = body.get(field)
            if value is None:
                continue
            try:
                times[field] = parse_time(value)
            except (TypeError, ValueError) as exc:
                raise InvalidParams(f"{field} must be an ISO-8601 time") from exc
        self.store.set_times(org, _token_id(request), **times)
        return JSONResponse(self.store.token(org, _token_id(request)))

    async def refuse(self, request: Request) -> Response:
        """`{"token_id": ID}` or `{"name": NAME}`: the API refuses those credentials
        from now on (a name: tokens of that name created from now on); with
        `"refused": false`, accepts them again."""
        body = await _json_body(request)
        token_id, name, refused = body.get("token_id"), body.get("name"), body.get("refused", True)
        if not all(v is None or isinstance(v, str) for v in (token_id, name)):
            raise InvalidParams("token_id and name must be strings")
        if not isinstance(refused, bool):
            raise InvalidParams("refused must be true or false")
        self.store.refuse(token_id, name, refused=refused)
        return JSONResponse({"token_id": token_id, "name": name, "refused": refused})

    def _org(self, request: Request) -> str:
        org: str = request.path_params["organization"]
        if self.settings.organizations and org not in self.settings.organizations:
            raise not_found()
        return org


def create_app(
    settings: EmulatorSettings,
    store: EmulatorStore | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The emulator app; `app.state` holds `settings`, `store`, `stats` and `faults`.

    `clock` (monotonic seconds) drives the rate-limit window, for tests.
    """
    if store is None:
        store = EmulatorStore(
            settings.data_path, seed=settings.seed, refresh_tokens=settings.refresh_tokens
        )
    stats = Stats()
    faults = Faults(settings, clock)
    api = _Api(settings, store, stats)
    routes = [*audit_routes(settings, store), *api.routes()]
    index = operation_index()
    routes += table_routes(index, routes, settings)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(StatsMiddleware, stats=stats, routes=routes),
            Middleware(FaultMiddleware, faults=faults, stats=stats),
            Middleware(AuthMiddleware, required=settings.require_auth, store=store),
            Middleware(AccessMiddleware, store=store, index=index),
        ],
        exception_handlers={
            ApiError: _api_error,
            NotFound: _not_found,
            InvalidParams: _invalid_params,
            HTTPException: _http_error,
        },
    )
    # The API answers 404 for a path with a trailing slash; it does not redirect.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.store = store
    app.state.stats = stats
    app.state.faults = faults
    return app


def _paging(request: Request) -> tuple[int, int]:
    # Not a number or below 1 is refused; above the maximum is clamped, as the API does.
    values = []
    for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
        raw = request.query_params.get(name)
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise InvalidParams(f"{name} must be a whole number of 1 or more")
        values.append(value)
    return values[0], min(values[1], MAX_PER_PAGE)


def _envelope(
    request: Request, items: Sequence[bytes], page: int, per_page: int, total: int
) -> Response:
    def page_url(number: int) -> str:
        return str(request.url.include_query_params(page=number, per_page=per_page))

    body = list_json(items, page=page, per_page=per_page, total=total, page_url=page_url)
    return Response(body, media_type="application/json")


def _paged(request: Request, items: list[dict[str, Any]]) -> Response:
    page, per_page = _paging(request)
    start = (page - 1) * per_page
    chunk = [dump(item) for item in items[start : start + per_page]]
    return _envelope(request, chunk, page, per_page, len(items))


def _whole(request: Request, items: list[dict[str, Any]]) -> Response:
    """Every item on one page: what grant and revoke answer."""
    per_page = max(len(items), DEFAULT_PER_PAGE)
    return _envelope(request, [dump(item) for item in items], 1, per_page, len(items))


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "bad_request", "The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidParams("the request body must be a JSON object")
    return body


def _token_id(request: Request) -> str:
    token_id: str = request.path_params["token_id"]
    return token_id


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_json(code, message), status_code=status)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error(exc.status, exc.code, exc.message)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, "not_found", "Not Found")


async def _invalid_params(request: Request, exc: Exception) -> Response:
    return _error(422, "invalid_params", str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # An unknown path or a method a path does not serve: the API answers 404 to both.
    if exc.status_code in (404, 405):
        return _error(404, "not_found", "Not Found")
    return _error(exc.status_code, "bad_request", str(exc.detail))
