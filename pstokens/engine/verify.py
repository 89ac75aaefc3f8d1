"""Verifying a new token before it replaces anything: one call as the new token.

`GET /organizations` needs no access, so any working token may make it. A new
token PlanetScale refuses is marked unverified in state (the next plan
replaces it) and its key counts as not ready, so the token it was to replace
stays exactly as it was.
"""

from __future__ import annotations

from dataclasses import replace

from pstokens.api.errors import ApiError
from pstokens.engine.ports import TokenApi
from pstokens.engine.statewriter import StateWriter
from pstokens.errors import PstokensError
from pstokens.secret import Secret
from pstokens.state.model import TokenRecord


class UnverifiedToken(PstokensError):
    """A new token whose credentials the API refused (or could not be checked)."""


async def verify_new_token(
    client: TokenApi, writer: StateWriter, key: str, token_id: str, secret: Secret
) -> None:
    """Return if the API accepts `token_id`'s credentials; else mark it unverified
    in state (on disk before this raises) and raise `UnverifiedToken` naming it."""
    try:
        await client.verify_credentials(token_id, secret)
    except ApiError as exc:
        def unverified(record: TokenRecord | None) -> TokenRecord | None:
            if record is None or record.id != token_id:
                return record
            return replace(record, verified=False)

        await writer.update(key, unverified, durable=True)
        raise UnverifiedToken(
            f"new token {token_id} for {key} failed verification ({exc.message})",
            hint="the token it replaces, if any, is kept as it was; "
            "the next plan replaces the unverified one",
        ) from None
