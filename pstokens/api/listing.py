"""The token list's pages, decoded straight from their bytes into plain structs.

Every plan reads the whole list (1.7 MB of JSON for 1,000 tokens), so this is
the one hot path of reading: msgspec decodes each page in one C pass into just
the fields pstokens reads (IDs, names, times, accesses), skipping the rest
unparsed; building pydantic models here cost about three times as much. The
structs are untracked by the garbage collector (`gc=False`: they hold only
strings, times and each other, so they can make no cycle), which takes a third
off decoding a page. The secrets a create answers with never appear in a
list item, and would be dropped unread if one did. A malformed page is an
ApiError that says where and what is wrong, never the value found there.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from pstokens.api.errors import ApiError
from pstokens.api.models import DATABASE


class _Resource(msgspec.Struct, frozen=True, gc=False):
    type: str | None = None
    name: str | None = None


class ListedAccess(msgspec.Struct, frozen=True, gc=False):
    """An access embedded in a list item; reads like `TokenAccess`."""

    access: str
    id: str | None = None
    resource: _Resource | None = None
    flat_type: str | None = msgspec.field(default=None, name="resource_type")
    flat_name: str | None = msgspec.field(default=None, name="resource_name")

    @property
    def resource_type(self) -> str | None:
        # The nested resource first, as `TokenAccess` reads it.
        nested = self.resource.type if self.resource is not None else None
        return nested if nested is not None else self.flat_type

    @property
    def resource_name(self) -> str | None:
        nested = self.resource.name if self.resource is not None else None
        return nested if nested is not None else self.flat_name

    @property
    def database(self) -> str | None:
        """The database it is held on; None for an organization-level access."""
        return self.resource_name if self.resource_type == DATABASE else None


class ListedToken(msgspec.Struct, frozen=True, gc=False):
    """A list item: what pstokens reads of a token, as `ServiceToken` names it."""

    id: str
    name: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    embedded: tuple[ListedAccess, ...] | None = msgspec.field(
        default=None, name="service_token_accesses")
    embedded_alias: tuple[ListedAccess, ...] | None = msgspec.field(default=None, name="accesses")

    @property
    def accesses(self) -> tuple[ListedAccess, ...] | None:
        """None when the API did not embed them: read them with `list_accesses`."""
        return self.embedded if self.embedded is not None else self.embedded_alias


def held(accesses: tuple[ListedAccess, ...]) -> dict[str | None, frozenset[str]]:
    """The accesses by database (None: the organization), as the planner compares them.

    The properties above, inlined: a plan of 1,000 tokens runs this for 4,000 accesses."""
    grouped: dict[str | None, set[str]] = {}
    for item in accesses:
        resource = item.resource
        kind = item.flat_type if resource is None or resource.type is None else resource.type
        database = None
        if kind == DATABASE:
            database = item.flat_name if resource is None or resource.name is None \
                else resource.name
        names = grouped.get(database)
        if names is None:
            names = grouped[database] = set()
        names.add(item.access)
    return {database: frozenset(names) for database, names in grouped.items()}


class TokenPage(msgspec.Struct, frozen=True):
    """One page of the token list."""

    data: list[ListedToken]
    next_page: Any = None  # checked where it is followed
    total_pages: Any = None  # a hint only: anything but a whole number is ignored


_DECODER = msgspec.json.Decoder(TokenPage)
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")


def read_token_page(operation: str, status: int, content: bytes) -> TokenPage:
    """Decode one page; a body that is not JSON or not a page is an ApiError."""
    try:
        return _DECODER.decode(content)
    except msgspec.ValidationError as exc:
        problem = _problem(str(exc))
        not_json = False
    except msgspec.DecodeError:
        problem, not_json = "", True
    # Raised here, not in the handler, so the decoder's error is not chained on.
    if not_json:
        raise ApiError(
            f"{operation}: the API answered {status} with a body that is not JSON",
            status=status,
            hint="check --api-url points at the PlanetScale API",
        )
    raise ApiError(f"{operation}: the answer does not look like PlanetScale's ({problem})")


def _problem(message: str) -> str:
    """msgspec's `Expected `str`, got `int` - at `$.data[1].name`` as
    `data.1.name: expected str, got int`. Its messages name types and places,
    never the values found."""
    where = ""
    found = _AT.search(message)
    if found is not None:
        where = found["path"]
        message = message[: found.start()]
    missing = _MISSING.match(message)
    if missing is not None:
        where, message = f"{where}.{missing['field']}", "field required"
    path = ".".join(part for part in re.split(r"[.\[\]]+", where) if part) or "the answer"
    return f"{path}: {message.replace('`', '')[:1].lower()}{message.replace('`', '')[1:]}"
