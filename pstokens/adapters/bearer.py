"""The one gate in front of both adapters: `Authorization: Bearer <PSTOKENS_SERVE_TOKEN>`.

The adapters act with pstokens' own PlanetScale credentials, so every request
must prove it holds the serve token; the comparison is constant-time and
neither the expected nor the presented token is ever logged or echoed.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from pstokens.errors import ServeError

SERVE_TOKEN_VAR = "PSTOKENS_SERVE_TOKEN"  # noqa: S105 - the variable's name, not a token
# It guards pstokens' own PlanetScale credentials: short enough to guess is refused.
MIN_SERVE_TOKEN_LENGTH = 32
_HINT = f"export {SERVE_TOKEN_VAR}=$(openssl rand -hex 32)"

# The body of a 401, given the message; each adapter answers in its own dialect.
Unauthorized = Callable[[str], dict[str, object]]

UNAUTHORIZED_MESSAGE = (
    f"missing or wrong bearer token: send Authorization: Bearer ${SERVE_TOKEN_VAR}"
)


def check_serve_token(token: str | None) -> str:
    """The serve token, or PstokensError if it is unset or unusable in a header."""
    if token is None or not token.strip():
        raise ServeError(
            f"{SERVE_TOKEN_VAR} is not set: the adapters refuse to start without it",
            hint=_HINT,
        )
    if not token.isascii() or not token.isprintable() or any(ch.isspace() for ch in token):
        # Never echo the value: it is a secret.
        raise ServeError(
            f"{SERVE_TOKEN_VAR} contains spaces, control or non-ASCII characters",
            hint=_HINT,
        )
    if len(token) < MIN_SERVE_TOKEN_LENGTH:
        raise ServeError(
            f"{SERVE_TOKEN_VAR} is {len(token)} characters long: the adapters need at least "
            f"{MIN_SERVE_TOKEN_LENGTH}, as it guards pstokens' PlanetScale credentials",
            hint=_HINT,
        )
    return token


def presented_token(header: bytes | None) -> bytes | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive)."""
    if header is None:
        return None
    scheme, _, token = header.partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    token = token.strip()
    return token or None


class BearerAuthMiddleware:
    """Answers 401 to any HTTP request without the serve token; passes lifespan through."""

    def __init__(self, app: ASGIApp, *, token: str, unauthorized: Unauthorized) -> None:
        self.app = app
        self._expected = check_serve_token(token).encode()
        self._unauthorized = unauthorized

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The adapters serve no websockets (uvicorn runs with ws="none").
        if scope["type"] == "http" and not self._allowed(scope):
            await self._refuse(scope, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        headers = [v for k, v in scope["headers"] if k == b"authorization"]
        if len(headers) != 1:
            return False
        given = presented_token(headers[0])
        # compare_digest even on a missing token, so timing says nothing either way.
        return hmac.compare_digest(given or b"", self._expected) and given is not None

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(self._unauthorized(UNAUTHORIZED_MESSAGE)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="pstokens"'),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
