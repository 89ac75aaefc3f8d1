"""The emulator's Authorization check: well formed always, exact when asked.

A client that forgets or mangles its credentials must fail here as it would
against PlanetScale, and so must one presenting a token the emulator made
that is deleted, expired or paired with the wrong secret; a live one works.
The header is compared, never logged or echoed. Which of the emulator's
tokens is calling (if any) is told to the routes as `auditlog.ACTOR`.
"""

from __future__ import annotations

import hmac

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pstokens.emulator.auditlog import ACTOR
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
    return caller(value, required, store)[0]


def caller(
    value: str | None, required: str | None, store: EmulatorStore
) -> tuple[bool, str | None]:
    """Whether the credentials are accepted, and the ID of the emulator's own token
    that they are (None: another caller, held to no access)."""
    if value is None or not well_formed(value):
        return False, None
    if not value.startswith("Bearer "):
        token_id, _, secret = value.partition(":")
        verdict = store.authenticate(token_id, secret)
        if verdict is not None:  # one of the emulator's own tokens: it decides
            return verdict, token_id if verdict else None
    if required is None:
        return True, None
    # Exactly the configured value: `ID:TOKEN`, or `Bearer KEY` when configured so.
    return hmac.compare_digest(value.encode(), required.encode()), None


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
            accepted, actor = caller(value, self.required, self.store)
            if not accepted:
                body = error_json("unauthorized", "Unauthorized")
                await JSONResponse(body, status_code=401)(scope, receive, send)
                return
            # Set and reset per request: an in-process transport runs every request
            # in its caller's own context.
            before = ACTOR.set(actor)
            try:
                await self.app(scope, receive, send)
            finally:
                ACTOR.reset(before)
            return
        await self.app(scope, receive, send)
