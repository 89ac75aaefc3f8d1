"""The MCP adapter: the seed's six operations, revoke, and a read-only plan and report.

Built on the official SDK's `MCPServer`, served over streamable HTTP at `/mcp`
(stateless, JSON answers: nothing to resume, no session to steal). Tool results
are the API's own JSON; a new token's secrets are in create's result, once.
A wrong argument is one line naming it (`arguments.py`), not a validation dump.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field
from starlette.applications import Starlette

from pstokens import __version__
from pstokens.accesses import DATABASE_ACCESSES, ORGANIZATION_ACCESSES
from pstokens.adapters.arguments import CheckedServer
from pstokens.adapters.bearer import BearerAuthMiddleware, check_serve_token
from pstokens.adapters.errors import tool_message
from pstokens.adapters.operations import SEGMENT, Operations
from pstokens.adapters.planning import ToolBackend
from pstokens.adapters.whocan import TOOL_DETAIL, TOOL_NAME, TOOL_TITLE, WhoCan
from pstokens.api.client import PlanetScaleClient
from pstokens.engine.applying.writeguard import WriteGuard
from pstokens.errors import PstokensError

MCP_PATH = "/mcp"

Organization = Annotated[
    str, Field(description="The PlanetScale organization's name.", pattern=SEGMENT)
]
TokenId = Annotated[
    str,
    Field(description="The service token's ID, as list-service-tokens shows it.", pattern=SEGMENT),
]
TokenName = Annotated[
    str | None,
    Field(description="A name for the token (PlanetScale does not require it to be unique).",
          min_length=1, max_length=255),
]
Ttl = Annotated[
    int | None,
    Field(description="Lifetime in seconds; the token stops working after it. "
          "Leave it out for a token that does not expire.", ge=1),
]
Database = Annotated[
    str | None,
    Field(description="The database the accesses are on; leave it out (or send null or an "
          "empty string) for organization-level accesses.", pattern=r"^[A-Za-z0-9_-]{0,255}$"),
]
AccessNames = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")]],
    Field(
        min_length=1,
        description="Access names, all on the same level. Organization level: "
        + ", ".join(sorted(ORGANIZATION_ACCESSES))
        + ". Database level (needs `database`): "
        + ", ".join(sorted(DATABASE_ACCESSES))
        + ".",
    ),
]
ConfigPath = Annotated[
    str | None,
    Field(description="Path of a pstokens.yaml (.yaml or .yml) under the directory "
          "`pstokens serve` runs in, relative to it or absolute. Leave it out to plan the "
          "config `pstokens serve` was started with (-c).", min_length=1),
]
PlanOrganization = Annotated[
    str | None,
    Field(description="The organization, when the config does not name one; it must "
          "agree with the config's if both do.", pattern=SEGMENT),
]

ToolFunction = Callable[..., Awaitable[dict[str, Any]]]

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
_DELETE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)


class _Tools:
    """The tool bodies: each one API call (or one plan) and its JSON answer."""

    def __init__(self, operations: Operations, backend: ToolBackend) -> None:
        self._operations = operations
        self._backend = backend

    async def list_service_tokens(self, organization: Organization) -> dict[str, Any]:
        what = f'list service tokens in "{organization}"'
        return await _call(what, self._operations.list_tokens(organization))

    async def create_service_token(
        self, organization: Organization, name: TokenName = None, ttl: Ttl = None
    ) -> dict[str, Any]:
        what = f'create a service token in "{organization}"'
        return await _call(what, self._operations.create_token(organization, name, ttl))

    async def get_service_token(
        self, organization: Organization, service_token_id: TokenId
    ) -> dict[str, Any]:
        what = f'get service token "{service_token_id}" in "{organization}"'
        return await _call(what, self._operations.get_token(organization, service_token_id))

    async def delete_service_token(
        self, organization: Organization, service_token_id: TokenId
    ) -> dict[str, Any]:
        what = f'delete service token "{service_token_id}" in "{organization}"'
        await _call(what, self._operations.delete_token(organization, service_token_id))
        return {"id": service_token_id, "deleted": True}

    async def list_service_token_accesses(
        self, organization: Organization, service_token_id: TokenId
    ) -> dict[str, Any]:
        what = f'list accesses of service token "{service_token_id}" in "{organization}"'
        return await _call(what, self._operations.list_accesses(organization, service_token_id))

    async def grant_service_token_access(
        self,
        organization: Organization,
        service_token_id: TokenId,
        access: AccessNames,
        database: Database = None,
    ) -> dict[str, Any]:
        what = f'grant {", ".join(access)} to service token "{service_token_id}"'
        call = self._operations.grant_accesses(organization, service_token_id, access, database)
        return await _call(what, call)

    async def revoke_service_token_access(
        self,
        organization: Organization,
        service_token_id: TokenId,
        access: AccessNames,
        database: Database = None,
    ) -> dict[str, Any]:
        what = f'revoke {", ".join(access)} from service token "{service_token_id}"'
        call = self._operations.revoke_accesses(organization, service_token_id, access, database)
        return await _call(what, call)

    async def report_service_tokens(
        self, config: ConfigPath = None, organization: PlanOrganization = None
    ) -> dict[str, Any]:
        try:
            return await self._backend.report(config, organization)
        except PstokensError as exc:
            raise ToolError(tool_message(exc)) from None

    async def plan_service_tokens(
        self, config: ConfigPath = None, organization: PlanOrganization = None
    ) -> dict[str, Any]:
        try:
            return await self._backend.plan(config, organization)
        except PstokensError as exc:
            raise ToolError(tool_message(exc)) from None


async def _call(what: str, call: Awaitable[dict[str, Any] | None]) -> dict[str, Any]:
    """Await an operation; an API error or a refusal (the state locked, a protected
    token) becomes a tool error saying why (`pstokens.adapters.errors`)."""
    try:
        answer = await call
    except PstokensError as exc:
        raise ToolError(tool_message(exc, what)) from None
    return answer if isinstance(answer, dict) else {}


def create_mcp_server(
    client: PlanetScaleClient, backend: ToolBackend | None = None, guard: WriteGuard | None = None
) -> CheckedServer:
    """The MCP server and its tools, over an open client; `backend` answers the plan
    and report tools, `guard` runs writes under the state lock and refuses deleting
    what state protects."""
    backend = backend or ToolBackend(client)
    tools = _Tools(Operations(client, guard), backend)
    # MCPServer calls logging.basicConfig (a no-op once logging is set up); keep it quiet.
    server = CheckedServer(
        "pstokens",
        title="pstokens: PlanetScale service tokens",
        instructions=_INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    # who-can finds the organization as plan and report do when a call names none.
    who_can = WhoCan(client, backend.state_store, backend.organization)
    for name, title, fn, hints, detail in [
        *_catalogue(tools), (TOOL_NAME, TOOL_TITLE, who_can.tool, _READ, TOOL_DETAIL),
    ]:
        server.add_checked_tool(
            fn,
            name=name,
            title=title,
            description=f"{title}. {detail}",
            annotations=hints.model_copy(update={"title": title}),
            structured_output=True,
        )
    return server


_INSTRUCTIONS = (
    "Manage PlanetScale service tokens and their accesses. "
    "create-service-token returns the new token's secret once, in `token` (and "
    "`plain_text_refresh_token`, where PlanetScale issues one): neither can be read "
    "again. plan-service-tokens shows what `pstokens apply` would do. "
    "Grant and revoke take `access` (a list) and `database` (leave it out for the "
    "organization). Creates, deletes, grants and revokes are refused while a pstokens "
    "plan or apply holds the state lock; send them again once it has finished."
)


def _catalogue(tools: _Tools) -> list[tuple[str, str, ToolFunction, ToolAnnotations, str]]:
    """Each tool: its name, title, function, hints and what its description adds."""
    return [
        ("list-service-tokens", "List service tokens", tools.list_service_tokens, _READ,
         "Every token of the organization, all pages read. No secrets are ever included."),
        ("create-service-token", "Create a service token", tools.create_service_token, _WRITE,
         "The answer holds the new token's secret in `token` (and any refresh token in "
         "`plain_text_refresh_token`): shown this once, never again."),
        ("get-service-token", "Get a service token", tools.get_service_token, _READ,
         "One token with its accesses (never its secret)."),
        ("delete-service-token", "Delete a service token", tools.delete_service_token, _DELETE,
         "Whatever uses the token stops working. Refused for a token pstokens' state marks "
         "prevent_destroy."),
        ("list-service-token-accesses", "List service token accesses",
         tools.list_service_token_accesses, _READ, "The token's accesses, all pages read."),
        ("grant-service-token-access", "Grant service token access",
         tools.grant_service_token_access, _WRITE,
         "Several accesses on one database (or on the organization) in one call. "
         "Answers with all the token's accesses."),
        ("revoke-service-token-access", "Revoke service token access",
         tools.revoke_service_token_access, _DELETE,
         "Several accesses on one database (or on the organization) in one call; "
         "accesses the token does not hold are left alone. Answers with the accesses left."),
        ("plan-service-tokens", "Plan service tokens", tools.plan_service_tokens, _READ,
         "What `pstokens apply` would change to make the organization match a "
         "pstokens.yaml (by default the one `pstokens serve` was started with), as the "
         "JSON plan. Reads only: changes nothing, takes no lock."),
        ("report-service-tokens", "Report service tokens", tools.report_service_tokens, _READ,
         "Who can do what, as `pstokens report --format json` gives it: every live token "
         "(managed or not) with its accesses by database and organization, expiry, last "
         "use and rule violations. Reads only: changes nothing, takes no lock."),
    ]


def create_mcp_app(
    client: PlanetScaleClient,
    serve_token: str,
    *,
    backend: ToolBackend | None = None,
    guard: WriteGuard | None = None,
    host: str = "127.0.0.1",
) -> Starlette:
    """The MCP adapter's ASGI app: streamable HTTP at /mcp, callers gated by `serve_token`.

    Its lifespan runs the SDK's session manager, so serve it with lifespan on.
    `host` is where it listens: on loopback the SDK also checks Host headers
    against DNS rebinding.
    """
    check_serve_token(serve_token)
    server = create_mcp_server(client, backend, guard)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH, json_response=True, stateless_http=True, host=host
    )
    app.add_middleware(
        BearerAuthMiddleware,
        token=serve_token,
        # A JSON-RPC error, so MCP clients show the reason rather than a bare status.
        unauthorized=lambda message: {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32001, "message": f"Unauthorized: {message}"},
        },
    )
    return app
