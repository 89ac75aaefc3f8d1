"""The seed's operations (and revoke), on the typed client: what both adapters serve.

Both adapters call these, so they agree on what an organization or token ID
may be, on reading every page of a list unless a page is asked for, and on
the state lock every write takes (and the `prevent_destroy` check a delete
makes under it: the engine's `WriteGuard`). Answers are the API's JSON as sent; a
create's carries the new token's secrets, this once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pstokens.api.client import PlanetScaleClient
from pstokens.api.errors import NotFound
from pstokens.engine.applying.writeguard import WriteGuard

# One path segment: starts with a letter or digit, so "." and ".." never reach a URL.
SEGMENT = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_SEGMENT = re.compile(SEGMENT)
NOT_FOUND_BODY = {"code": "not_found", "message": "Not Found"}


class Operations:
    """The operations on one shared client (its pacer, retries, credentials)."""

    def __init__(self, client: PlanetScaleClient, guard: WriteGuard | None = None) -> None:
        self._client = client
        self._guard = guard or WriteGuard(None)

    async def list_tokens(
        self, org: str, page: int | None = None, per_page: int | None = None
    ) -> dict[str, Any]:
        """Every token in one list envelope, or the one page `page`/`per_page` ask for."""
        return await self._client.list_tokens_json(
            check_segment(org), page=page, per_page=per_page
        )

    async def create_token(
        self, org: str, name: str | None = None, ttl: int | None = None
    ) -> dict[str, Any]:
        """The API's answer, the new token's secrets in it: its caller's only copy."""
        async with self._guard.write(check_segment(org), f'create a service token in "{org}"'):
            created = await self._client.create_token(org, name, ttl)
        return created.reveal_answer()

    async def get_token(self, org: str, token_id: str) -> dict[str, Any]:
        return await self._client.get_token_json(check_segment(org), check_segment(token_id))

    async def delete_token(self, org: str, token_id: str) -> None:
        """Refused (`Refused`, 409) when state marks the token `prevent_destroy`."""
        async with self._guard.delete(check_segment(org), check_segment(token_id)):
            await self._client.delete_token(org, token_id)

    async def list_accesses(
        self, org: str, token_id: str, page: int | None = None, per_page: int | None = None
    ) -> dict[str, Any]:
        return await self._client.list_accesses_json(
            check_segment(org), check_segment(token_id), page=page, per_page=per_page
        )

    async def grant_accesses(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None
    ) -> dict[str, Any] | None:
        """`database` None or "" is the organization; answers with all the token's accesses."""
        doing = f'grant accesses to service token "{check_segment(token_id)}"'
        async with self._guard.write(check_segment(org), doing):
            return await self._client.grant_accesses_json(org, token_id, accesses, database)

    async def revoke_accesses(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None
    ) -> dict[str, Any] | None:
        """As grant; answers with the accesses left."""
        doing = f'revoke accesses from service token "{check_segment(token_id)}"'
        async with self._guard.write(check_segment(org), doing):
            return await self._client.revoke_accesses_json(org, token_id, accesses, database)


def check_segment(value: str) -> str:
    """`value` if it can be one path segment; else the 404 the API gives for no such thing."""
    if not _SEGMENT.fullmatch(value):
        raise NotFound(
            "no such organization or token", status=404, code="not_found", body=dict(NOT_FOUND_BODY)
        )
    return value
