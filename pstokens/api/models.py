"""Typed views of the API's tokens and accesses.

Parsing is lenient about fields the API adds and strict about the ones
pstokens relies on. A token's secret is never a model field: it travels
separately, as a `Secret`, in `CreatedToken`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pstokens.secret import Secret


class Resource(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | None = None
    type: str | None = None
    name: str | None = None


class TokenAccess(BaseModel):
    """One access held by a token: an access name on the organization or a database."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | None = None
    access: str
    database: str | None = None  # None: an organization-level access

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> TokenAccess:
        """Read either shape the API uses (embedded or from `.../access`)."""
        resource = item.get("resource") or {}
        resource_type = item.get("resource_type") or resource.get("type")
        resource_name = item.get("resource_name") or resource.get("name")
        database = resource_name if resource_type == "Database" else None
        return cls(id=item.get("id"), access=item["access"], database=database)


class ServiceToken(BaseModel):
    """A service token as list and get return it (never with its secret)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    name: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    # None when the API did not embed them: read them with `list_accesses`.
    accesses: tuple[TokenAccess, ...] | None = Field(default=None)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> ServiceToken:
        embedded = item.get("service_token_accesses")
        data = {k: v for k, v in item.items() if k not in ("token", "service_token_accesses")}
        accesses = None if embedded is None else tuple(TokenAccess.from_api(a) for a in embedded)
        return cls.model_validate({**data, "accesses": accesses})


@dataclass(frozen=True)
class CreatedToken:
    """The answer to a create: the token and its one-time secret."""

    token: ServiceToken
    secret: Secret
