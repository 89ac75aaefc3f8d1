"""What the engine needs of the PlanetScale API, as a protocol.

The engine depends on this, not on the HTTP client: `PlanetScaleClient`
satisfies it, and so does the plain-data fake the applier's tests use. So
the engine imports no httpx, and its rules are tested without a server.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from pstokens.api.listing import ListedToken
from pstokens.api.models import AuditEvent, CreatedToken, ServiceToken, TokenAccess
from pstokens.secret import Secret


class TokenApi(Protocol):
    async def list_tokens(self, org: str, *, expected: int = 0) -> list[ListedToken]: ...

    async def get_token(self, org: str, token_id: str) -> ServiceToken: ...

    async def list_accesses(self, org: str, token_id: str) -> list[TokenAccess]: ...

    async def accesses_of(self, org: str, token: ServiceToken) -> list[TokenAccess]: ...

    async def create_token(
        self, org: str, name: str | None = None, ttl: int | None = None
    ) -> CreatedToken: ...

    async def delete_token(self, org: str, token_id: str) -> None: ...

    async def verify_credentials(self, token_id: str, secret: Secret) -> None: ...

    async def get_as(self, token_id: str, secret: Secret, template: str, *,
                     organization: str, database: str | None = None) -> None: ...

    async def grant_accesses(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None = None
    ) -> list[TokenAccess]: ...

    async def revoke_accesses(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None = None
    ) -> None: ...

    async def list_audit_log(
        self, org: str, *, since: datetime, actions: Collection[str] = ()
    ) -> list[AuditEvent]: ...
