"""The audit log's routes: the API's cursor-paged list, and the admin route that adds events.

`GET /v1/organizations/{organization}/audit-log` answers as PlanetScale does
(`planetscale-api.md`, "The audit log"): newest first, `starting_after` or
`ending_before` an event ID, `limit` 25 by default and at most 100, and the
Go client's `filters[]=audit_action:NAME`. One of the emulator's own tokens
needs `read_audit_logs` on the organization, or gets 403 `forbidden`.
`POST /_emulator/organizations/{organization}/audit-log` adds an event (no
auth, no faults, not counted), as PlanetScale does when it finds a leak.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pstokens.emulator.auditlog import ACTOR, DEFAULT_LIMIT, MAX_LIMIT
from pstokens.emulator.grants import InvalidParams
from pstokens.emulator.records import ORGANIZATION, parse_time
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.shapes import error_json
from pstokens.emulator.store import EmulatorStore, NotFound

READ_AUDIT_LOGS = "read_audit_logs"
_TEXT_FIELDS = ("target_id", "target_type", "target_display_name", "actor_id", "actor_type",
                "actor_display_name")
_FILTER = "audit_action:"


def audit_routes(settings: EmulatorSettings, store: EmulatorStore) -> list[Route]:
    def known(request: Request) -> str | None:
        org: str = request.path_params["organization"]
        return None if settings.organizations and org not in settings.organizations else org

    async def list_events(request: Request) -> Response:
        org = known(request)
        if org is None:
            return _error(404, "not_found", "Not Found")
        if not _may_read(store, org):
            return _error(403, "forbidden", "Forbidden: the token lacks read_audit_logs")
        query = request.query_params
        actions = [f[len(_FILTER):] for f in query.getlist("filters[]") if f.startswith(_FILTER)]
        return JSONResponse(store.audit_page(
            org, limit=_limit(query.get("limit")), starting_after=query.get("starting_after"),
            ending_before=query.get("ending_before"), actions=actions,
        ))

    async def add_event(request: Request) -> Response:
        org: str = request.path_params["organization"]
        body = await _body(request)
        action = body.get("audit_action")
        if not isinstance(action, str) or not action:
            raise InvalidParams("audit_action must be a string such as "
                                "service_token.token_leaked")
        fields: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidParams(f"{name} must be a string")
            if name in body:
                fields[name] = value
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidParams("metadata must be an object")
        try:
            created = parse_time(body["created_at"]) if body.get("created_at") else None
        except (TypeError, ValueError) as exc:
            raise InvalidParams("created_at must be an ISO-8601 time") from exc
        event = store.add_audit_event(org, action, created_at=created, metadata=metadata,
                                      **fields)
        return JSONResponse(event, status_code=201)

    handlers: list[tuple[str, Callable[[Request], Any], str]] = [
        ("/v1/organizations/{organization}/audit-log", list_events, "GET"),
        ("/_emulator/organizations/{organization}/audit-log", add_event, "POST"),
    ]
    return [Route(path, handler, methods=[method]) for path, handler, method in handlers]


def _may_read(store: EmulatorStore, org: str) -> bool:
    """Another caller (an API key, credentials the emulator did not make) may read;
    one of its tokens only with `read_audit_logs` on this organization."""
    actor = ACTOR.get()
    if actor is None:
        return True
    try:
        accesses = store.accesses(org, actor)
    except NotFound:  # a token of another organization
        return False
    return any(a["access"] == READ_AUDIT_LOGS and a["resource"]["type"] == ORGANIZATION
               for a in accesses)


def _limit(raw: str | None) -> int:
    # Not a number or below 1 is refused; above the maximum is clamped, as the API does.
    try:
        value = DEFAULT_LIMIT if raw is None else int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidParams("limit must be a whole number of 1 or more")
    return min(value, MAX_LIMIT)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise InvalidParams("the request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidParams("the request body must be a JSON object")
    return body


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_json(code, message), status_code=status)
