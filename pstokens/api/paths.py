"""Where each service-token call goes, and the one body a grant or revoke sends.

Every caller of the API (the engine and the adapters, through the client)
reaches these paths and this body from here only, so an organization or
token ID is always one escaped path segment and an organization-level
change always reaches PlanetScale in one form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from pstokens.api.errors import InvalidRequest


def tokens_path(org: str) -> str:
    return f"/organizations/{_segment(org)}/service-tokens"


def token_path(org: str, token_id: str) -> str:
    return f"{tokens_path(org)}/{_segment(token_id)}"


def access_path(org: str, token_id: str) -> str:
    """The API's singular `/access` (the seed's `/accesses` is the adapters' alias)."""
    return token_path(org, token_id) + "/access"


def grants_path(org: str, token_id: str) -> str:
    return token_path(org, token_id) + "/grants"


def audit_log_path(org: str) -> str:
    return f"/organizations/{_segment(org)}/audit-log"


def operation_path(template: str, organization: str, database: str | None) -> str:
    """An operations-table path (`/v1/organizations/{organization}/...`) relative to
    the API's base URL, each parameter one escaped segment; InvalidRequest for a
    parameter other than those two, or one not given."""
    values = {"organization": organization, "database": database}

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None:
            raise InvalidRequest(f"no value for {{{match.group(1)}}} in {template}")
        return _segment(value)

    return re.sub(r"\{(\w+)\}", fill, template.removeprefix("/v1"))


def access_body(accesses: Sequence[str], database: str | None) -> dict[str, Any]:
    """A grant's or revoke's body; `database` None or "" is the organization.

    PlanetScale's own client sends `"database": ""` for the organization; the
    API also takes it left out, which is the one form pstokens sends.
    """
    if isinstance(accesses, str):
        raise TypeError("accesses must be a sequence of access names, not one string")
    body: dict[str, Any] = {"access": list(accesses)}
    if database:
        body = {"database": database, **body}
    return body


def _segment(value: str) -> str:
    # An organization or ID is one path segment, never a way to another path:
    # "/" is escaped, and "." or ".." (even escaped) are resolved away by httpx.
    if not value or value in (".", ".."):
        raise InvalidRequest(f"{value!r} is not an organization or service token ID")
    return quote(value, safe="")
