"""Typed views of the API's tokens, accesses and audit-log events.

Parsing is lenient about fields the API adds and strict about the ones
pstokens relies on: only a token's `id` and an access's name are required,
so the minimal items of PlanetScale's own client fixtures read as well as
full ones. A token's secrets (`token`, `plain_text_refresh_token`) are never
model fields: they travel separately, as `Secret`s, in `CreatedToken`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, field_validator

from pstokens.secret import Secret

DATABASE = "Database"  # `resource_type` of a database access
PLAINTEXT = "token"  # in a create's answer only: the new token's secret
PLAINTEXT_REFRESH = "plain_text_refresh_token"  # likewise, where the API issues one
# The audit action of a token whose secret was found in public (not a secret itself).
TOKEN_LEAKED = "service_token.token_leaked"  # noqa: S105

M = TypeVar("M")


class TokenAccess(BaseModel):
    """One access held by a token: an access name on the organization or a database.

    Reads either shape the API uses: the items of `.../access` nest the
    resource (`resource.type`, `resource.name`); the accesses embedded in a
    token also carry `resource_type` and `resource_name` flat.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | None = None
    access: str
    resource_type: str | None = Field(
        default=None, validation_alias=AliasChoices(AliasPath("resource", "type"), "resource_type")
    )
    resource_name: str | None = Field(
        default=None, validation_alias=AliasChoices(AliasPath("resource", "name"), "resource_name")
    )

    @property
    def database(self) -> str | None:
        """The database it is held on; None for an organization-level access."""
        return self.resource_name if self.resource_type == DATABASE else None


class ServiceToken(BaseModel):
    """A service token as list and get return it (never with its secret).

    The API's `token` and `plain_text_refresh_token` (secrets, on create
    only) are not fields here: they are dropped with every other field
    pstokens does not read (`avatar_url`, `oauth_accesses_by_resource` ...).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    name: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    # None when the API did not embed them: read them with `list_accesses`.
    accesses: tuple[TokenAccess, ...] | None = Field(
        default=None, validation_alias=AliasChoices("service_token_accesses", "accesses")
    )


class Page(BaseModel, Generic[M]):
    """One page of a list envelope, validated in one pass from the bytes received:
    a page of 100 tokens with their accesses is one trip into pydantic-core."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    data: list[M]
    next_page: Any = None  # checked where it is followed
    total_pages: Any = None  # a hint only: anything but a whole number is ignored


@dataclass(frozen=True)
class CreatedToken:
    """The answer to a create: the token and its one-time secret, and the
    refresh token where the API issued one (a secret too, never shown)."""

    token: ServiceToken
    secret: Secret
    refresh_token: Secret | None = None
    # The API's answer as sent, each secret field's value replaced by None.
    answer: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def reveal_answer(self) -> dict[str, Any]:
        """The API's answer as sent, secrets included: for a caller that hands the
        new token to its owner (the adapters), never for output, logs or files."""
        revealed = dict(self.answer)
        revealed[PLAINTEXT] = self.secret.reveal()
        if self.refresh_token is not None:
            revealed[PLAINTEXT_REFRESH] = self.refresh_token.reveal()
        return revealed


class AuditEvent(BaseModel):
    """One audit-log event. Every field is sent; those the API may send as null
    are optional here, and `id`, `audit_action` and `created_at` are required."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    audit_action: str
    created_at: datetime
    action: str | None = None
    actor_id: str | None = None
    actor_type: str | None = None
    actor_display_name: str | None = None
    auditable_id: str | None = None
    auditable_type: str | None = None
    auditable_display_name: str | None = None
    target_id: str | None = None
    target_type: str | None = None
    target_display_name: str | None = None
    location: str | None = None
    remote_ip: str | None = None
    metadata: Any = None  # free-form; not read
    updated_at: datetime | None = None

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, moment: datetime | None) -> datetime | None:
        # A time without a zone is the API's UTC; compared with aware times, it must carry one.
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment


class AuditPage(BaseModel):
    """One page of the cursor-paged envelope."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    data: list[AuditEvent]
    has_next: bool = False
    cursor_end: str | None = None
