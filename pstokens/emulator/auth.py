"""The emulator's Authorization check: well formed always, exact when asked.

A client that forgets or mangles its credentials must fail here as it would
against PlanetScale, and so must one presenting a token the emulator made
that is deleted, expired or paired with the wrong secret; a live one works.
The header is compared, never logged or echoed.
"""

from __future__ import annotations

import hmac

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pstokens.emulator.faults import is_api_path
from pstokens.emulator.shapes import error_json
from pstokens.emulator.store import EmulatorStore


def well_formed(value: str) -> bool:
    """`Bearer <token>` or `<id>:<token>`, with no part empty."""
    if value.startswith("Bearer "):
        return bool(value[len("Bearer ") :].strip())
    token_id, colon, secret = value.partition(":")
    return bool(colon and token_id.strip() and secret.strip())


def authorized(value: str | None, required: str | None, store: EmulatorStore) -> bool:
    if value is None or not well_formed(value):
        return False
    if not value.startswith("Bearer "):
        token_id, _, secret = value.partition(":")
        verdict = store.authenticate(token_id, secret)
        if verdict is not None:  # one of the emulator's own tokens: it decides
            return verdict
    if required is None:
        return True
    # Exactly the configured value: `ID:TOKEN`, or `Bearer KEY` when configured so.
    return hmac.compare_digest(value.encode(), required.encode())


class AuthMiddleware:
    """Answers 401 to `/v1` requests without acceptable credentials."""

    def __init__(self, app: ASGIApp, required: str | None, store: EmulatorStore) -> None:
        self.app = app
        self.required = required
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(scope):
            raw = next((v for k, v in scope["headers"] if k == b"authorization"), None)
            value = raw.decode("latin-1") if raw is not None else None
            if not authorized(value, self.required, self.store):
                body = error_json("unauthorized", "Unauthorized")
                await JSONResponse(body, status_code=401)(scope, receive, send)
                return
        await self.app(scope, receive, send)
