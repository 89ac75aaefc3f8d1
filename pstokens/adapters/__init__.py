"""`pstokens serve`: the seed's six service-token operations, and revoke, over REST and MCP.

    upstream     the operations, sent through pstokens' client (pages, pacing, retries)
    protection   deleting a token state marks prevent_destroy is refused (409)
    rest         REST on /v1/..., the API's answers passed on, OpenAPI at /openapi.json
    mcp_server   MCP tools over streamable HTTP at /mcp, plus plan-service-tokens
    arguments    MCP arguments checked by name, errors in one line
    planning     the plan behind plan-service-tokens (read only)
    bearer       the serve token every caller must present
    serve        both apps, one uvicorn server each, in one event loop

Callers present `Authorization: Bearer $PSTOKENS_SERVE_TOKEN`; pstokens' own
PlanetScale credentials stay inside its client and never reach an answer.
"""

from pstokens.adapters.mcp_server import create_mcp_app, create_mcp_server
from pstokens.adapters.planning import Planner
from pstokens.adapters.protection import DeleteGuard, Refused
from pstokens.adapters.rest import create_rest_app
from pstokens.adapters.serve import AdapterServers, bound, run_adapters, serve_session

__all__ = [
    "AdapterServers",
    "DeleteGuard",
    "Planner",
    "Refused",
    "bound",
    "create_mcp_app",
    "create_mcp_server",
    "create_rest_app",
    "run_adapters",
    "serve_session",
]
