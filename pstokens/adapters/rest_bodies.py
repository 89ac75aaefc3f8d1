"""What REST callers send and get back, apart from the routes that carry it.

A request body or query becomes the typed arguments of a client call, or a
422 `invalid_params` naming the field (never its value: it may be a secret
pasted in the wrong place), and the call is not made. An error becomes
the status and body `pstokens.adapters.errors` gives it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pstokens.adapters.arguments import argument_problems
from pstokens.adapters.errors import http_error
from pstokens.errors import PstokensError

B = TypeVar("B", bound=BaseModel)
# The longest ttl a create may ask for: the API publishes no bound, and past this an
# expiry is not a date pstokens (or the emulator, which refuses it alike) can hold.
MAX_TTL = 1000 * 365 * 86400


@dataclass(frozen=True)
class Answer:
    """What to send back: a status and JSON body (None for none)."""

    status: int
    body: Any = None


class BadRequest(Exception):
    """A request refused here, never sent on: answered `status` with `code`."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid_params") -> None:
        super().__init__(message)
        self.answer = Answer(status, {"code": code, "message": message})


class CreateBody(BaseModel):
    """A create's body: both fields optional, as in the API; other fields are ignored.
    `ttl` is a whole number as JSON Schema counts one (`3600.0` too), never a string."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    name: str | None = Field(default=None, min_length=1)
    ttl: int | None = Field(default=None, ge=1, le=MAX_TTL)

    @field_validator("ttl", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class AccessChange(BaseModel):
    """A grant's or revoke's body; `database` missing, null or "" is the organization.
    Access names go to the API as sent: it words an unknown one, with a suggestion."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    database: str | None = None
    access: list[str]


def read_body(raw: bytes, shape: type[B]) -> B:
    """`raw` as `shape`: 400 when it is not JSON, 422 naming what is wrong in it.
    An empty body (or `null`) is an empty object."""
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise BadRequest("The request body is not valid JSON", 400, "bad_request") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object")
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        problems = argument_problems(exc, "field")
    raise BadRequest(problems)


def read_paging(query: Mapping[str, str]) -> dict[str, int]:
    """`page` and `per_page`, where given, as whole numbers (the API judges their range)."""
    paging = {}
    for name in ("page", "per_page"):
        if name in query:
            try:
                paging[name] = int(query[name])
            except ValueError:
                raise BadRequest(f"{name} must be a whole number of 1 or more") from None
    return paging


def error_answer(exc: PstokensError) -> Answer:
    """The status and body to answer for an error, from `pstokens.adapters.errors`' table:
    an API error as the API sent it (502 when there was no HTTP answer)."""
    return Answer(*http_error(exc))
