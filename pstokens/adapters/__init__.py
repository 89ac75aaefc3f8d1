"""`pstokens serve`: the seed's six service-token operations, and revoke, over REST and MCP.

    operations   the operations, on pstokens' typed client (pages, pacing, retries);
                 writes run under the engine's WriteGuard: they hold the state lock
                 (409 state_locked while a plan or apply does), and deleting a token
                 state marks prevent_destroy is refused (409)
    rest         REST on /v1/..., the API's answers passed on, OpenAPI at /openapi.json
    rest_bodies  REST bodies and queries read into typed arguments, API errors passed on
    mcp_server   MCP tools over streamable HTTP at /mcp, plus plan-service-tokens
    arguments    MCP arguments checked by name, errors in one line
    planning     the tool backend of plan- and report-service-tokens (read only)
    bearer       the serve token every caller must present
    serve        both apps, one uvicorn server each, in one event loop

Callers present `Authorization: Bearer $PSTOKENS_SERVE_TOKEN`; pstokens' own
PlanetScale credentials stay inside its client and never reach an answer.
The adapters hand the engine paths and options (`pstokens.engine.open`), never
a config or a state store of their own: they import neither pstokens.config
nor pstokens.state (an import-linter contract holds it).
"""

from pstokens.adapters.mcp_server import create_mcp_app, create_mcp_server
from pstokens.adapters.planning import ToolBackend
from pstokens.adapters.rest import create_rest_app
from pstokens.adapters.serve import AdapterServers, bound, run_adapters, serve_session
from pstokens.engine.applying.writeguard import Refused, StateLocked, WriteGuard

__all__ = [
    "AdapterServers",
    "Refused",
    "StateLocked",
    "ToolBackend",
    "WriteGuard",
    "bound",
    "create_mcp_app",
    "create_mcp_server",
    "create_rest_app",
    "run_adapters",
    "serve_session",
]
