"""`who-can` for the adapters: a read-only MCP tool and `GET .../who-can/{operation}`.

Both answer exactly as `pstokens who-can --format json` does, from the same
engine call (`read_who_can`: the calls a report makes, nothing written, no
lock), with keys from the organization's state.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pstokens.adapters.errors import http_error, tool_message
from pstokens.adapters.operations import SEGMENT
from pstokens.engine.open import Opener, StateStores, default_store
from pstokens.errors import PstokensError, UsageError

WHO_CAN_PATH = "/v1/organizations/{organization}/who-can/{operation}"
TOOL_NAME = "who-can"
TOOL_TITLE = "Who can perform an operation"
TOOL_DETAIL = (
    "The live service tokens, managed or not, that can perform a PlanetScale API operation "
    "(an operation id such as promote_branch), each with the accesses that allow it and "
    "where each is held (`via`: access and database, null for the organization), as "
    "`pstokens who-can --format json` gives them. `possibly: true` marks a token able only "
    "by an access the API does not describe (pstokens fails closed on those). With "
    "`database`, on that database (its own accesses and the organization's). Reads only: "
    "changes nothing, takes no lock.")
_HEADERS = {"Cache-Control": "no-store"}

OperationId = Annotated[str, Field(description="An API operation id, such as promote_branch "
                                   "or delete_database.", pattern=r"^[a-z][a-z0-9_]{0,99}$")]
WhoCanDatabase = Annotated[
    str | None,
    Field(description="Only tokens able to perform it on this database; leave it out for "
          "the whole organization.", pattern=r"^[A-Za-z0-9_-]{1,255}$"),
]
WhoCanOrganization = Annotated[
    str | None,
    Field(description="The PlanetScale organization's name. Leave it out for the one "
          "`pstokens serve` plans and reports on (--org, or its -c config's).",
          pattern=SEGMENT),
]
DefaultOrganization = Callable[[], Awaitable[str]]


class WhoCan:
    """Answers who-can through the shared client, keys from `state_store`."""

    def __init__(self, client: Any, state_store: StateStores | None = None,
                 default_organization: DefaultOrganization | None = None) -> None:
        """`default_organization` names the organization when a tool call names none,
        as the plan and report tools find it."""
        self._client = client
        self._opener = Opener(self._shared, state_store or default_store)
        self._default_organization = default_organization

    async def answer(self, organization: str, operation: str,
                     database: str | None = None) -> list[dict[str, Any]]:
        workspace = self._opener.workspace(organization)
        able = await workspace.who_can(operation, database or None)
        return [a.to_json() for a in able]

    @contextlib.asynccontextmanager
    async def _shared(self) -> AsyncIterator[Any]:
        """The client serve shares between its adapters: lent, not closed."""
        yield self._client

    async def tool(self, operation: OperationId, organization: WhoCanOrganization = None,
                   database: WhoCanDatabase = None) -> dict[str, Any]:
        """The MCP tool: `{"tokens": [...]}` (a tool's structured result is an object)."""
        try:
            if organization is None:
                if self._default_organization is None:
                    raise UsageError("name the organization",
                                     hint="pass `organization`")
                organization = await self._default_organization()
            return {"tokens": await self.answer(organization, operation, database)}
        except PstokensError as exc:
            raise ToolError(tool_message(exc)) from None

    async def endpoint(self, request: Request) -> Response:
        """The REST endpoint: the JSON list, or the API's error as the other paths pass it."""
        database = request.query_params.get("database") or None
        try:
            body: Any = await self.answer(request.path_params["organization"],
                                          request.path_params["operation"], database)
            status = 200
        except PstokensError as exc:
            status, body = http_error(exc)
        return JSONResponse(body, status_code=status, headers=_HEADERS)

    def route(self) -> Route:
        return Route(WHO_CAN_PATH, self.endpoint, methods=["GET"], name="whocan")


def who_can_openapi(org: dict[str, Any]) -> dict[str, Any]:
    """The REST endpoint's path item for the adapter's OpenAPI document."""
    operation = {"name": "operation", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,99}$"},
                 "description": "An API operation id, such as promote_branch."}
    database = {"name": "database", "in": "query", "required": False,
                "schema": {"type": "string"},
                "description": "Only tokens able to perform it on this database."}
    held = {"type": "object", "required": ["access", "database"], "properties": {
        "access": {"type": "string"},
        "database": {"type": ["string", "null"],
                     "description": "Where the access is held; null: the organization."}}}
    able = {"type": "object", "required": ["id", "name", "key", "via", "possibly"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": ["string", "null"]},
                "key": {"type": ["string", "null"]},
                "via": {"type": "array", "items": held, "minItems": 1},
                "possibly": {"type": "boolean",
                             "description": "Able only by accesses the API does not "
                                            "describe (pstokens' own table says they may)."}}}
    error = {"$ref": "#/components/schemas/Error"}
    return {WHO_CAN_PATH: {
        "parameters": [org, operation],
        "get": {
            "operationId": "whocan",
            "summary": "Who can perform an operation",
            "description": TOOL_DETAIL,
            "parameters": [database],
            "responses": {
                "200": {"description": "The able tokens, sorted by name, then those "
                        "possibly able (`possibly: true`).",
                        "content": {"application/json": {
                            "schema": {"type": "array", "items": able}}}},
                "401": {"description": "No or wrong serve token.",
                        "content": {"application/json": {"schema": error}}},
                "404": {"description": "Unknown operation or database (the message names "
                        "the closest known one).",
                        "content": {"application/json": {"schema": error}}},
                "5XX": {"description": "The API's error, after pstokens' retries.",
                        "content": {"application/json": {"schema": error}}},
            },
        },
    }}
