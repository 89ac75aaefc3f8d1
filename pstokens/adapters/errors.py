"""What each pstokens error becomes in the adapters: one table, used by REST and MCP alike.

An API error is passed on as PlanetScale answered it (its status and body; 502
`bad_gateway` when there was no HTTP answer). Every other error is answered
with the status and code `ANSWERS` gives its class (or its nearest base), and
a message that is `describe`'s sentence plus the hint; an MCP tool error
carries the same sentence. The table is keyed by class name, so it needs no
import of the modules that raise (the names are unique: tests/test_error_tree.py),
and `tests/adapters/test_error_answers.py` fails when an error has no entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pstokens.api.errors import ApiError
from pstokens.errors import PstokensError


@dataclass(frozen=True)
class Reply:
    """The HTTP status and error `code` an adapter answers with."""

    status: int
    code: str


SERVER_FAULT = Reply(500, "error")  # pstokens' own side failed: nothing the caller can fix
CONFLICT = Reply(409, "conflict")  # refused by pstokens, nothing sent to PlanetScale
STATE_LOCKED = Reply(409, "state_locked")
PASSED_ON = None  # the API's own answer, passed on (see `http_error`)

ANSWERS: dict[str, Reply | None] = {
    "PstokensError": SERVER_FAULT,
    "UsageError": Reply(400, "bad_request"),
    "InvalidDestination": Reply(400, "bad_request"),
    "ConfigFileError": SERVER_FAULT,
    "ConfigError": SERVER_FAULT,
    "InvalidConfig": SERVER_FAULT,
    "RulesBroken": SERVER_FAULT,
    "StateError": SERVER_FAULT,
    "DamagedState": SERVER_FAULT,
    "StateEditRefused": CONFLICT,
    "LockHeld": STATE_LOCKED,
    "PlanError": CONFLICT,
    "StalePlan": CONFLICT,
    "UnsafePlan": CONFLICT,
    "PolicyDenied": CONFLICT,
    "ApplyInterrupted": SERVER_FAULT,
    "SecretDeliveryError": SERVER_FAULT,
    "UnverifiedToken": SERVER_FAULT,
    "LeaseError": SERVER_FAULT,
    "CommandNotStarted": SERVER_FAULT,
    "UnknownName": Reply(404, "not_found"),
    "TableError": SERVER_FAULT,
    "OutputError": SERVER_FAULT,
    "ServeError": SERVER_FAULT,
    "Refused": CONFLICT,
    "StateLocked": STATE_LOCKED,
    "MissingCredentials": SERVER_FAULT,
    "InvalidCredentials": SERVER_FAULT,
    "ApiError": PASSED_ON,
    "PermanentApiError": PASSED_ON,
    "Unauthorized": PASSED_ON,
    "Forbidden": PASSED_ON,
    "NotFound": PASSED_ON,
    "InvalidRequest": PASSED_ON,
    "PermanentServerError": PASSED_ON,
    "UnexpectedStatus": PASSED_ON,
    "TransientApiError": PASSED_ON,
    "RateLimited": PASSED_ON,
    "ServerError": PASSED_ON,
    "ConnectionFailed": PASSED_ON,
    "OutcomeUnknown": PASSED_ON,
}

# The API's `code` for a status, for error answers that came without a JSON body.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "unprocessable",
    429: "rate_limited",
}


def reply_for(kind: type[PstokensError]) -> Reply | None:
    """The table's entry for `kind`, or for its nearest base that has one."""
    for cls in kind.__mro__:
        if cls.__name__ in ANSWERS:
            return ANSWERS[cls.__name__]
    return SERVER_FAULT


def http_error(exc: PstokensError) -> tuple[int, dict[str, Any]]:
    """The status and JSON body a REST caller gets for `exc`."""
    reply = reply_for(type(exc))
    if reply is not None:
        return reply.status, {"code": reply.code, "message": sentence(exc)}
    assert isinstance(exc, ApiError)
    status = exc.status
    if status is None or not 400 <= status <= 599:
        return 502, {"code": "bad_gateway", "message": exc.message}
    if isinstance(exc.body, dict):
        return status, exc.body
    return status, {"code": exc.code or _CODES.get(status, "error"), "message": exc.message}


def tool_message(exc: PstokensError, what: str | None = None) -> str:
    """The text of the MCP tool error for `exc`; `what` names the call a forwarded
    API operation made, and its answer is then quoted as PlanetScale gave it."""
    prefix = f"{what}: " if what else ""
    if not isinstance(exc, ApiError) or exc.status is None or what is None:
        return prefix + sentence(exc)
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = ": ".join(str(body[k]) for k in ("code", "message") if body.get(k))
    text = f"{prefix}PlanetScale answered {exc.status}" + (f" ({detail})" if detail else "")
    if exc.status == 404:
        text += "; the token or organization does not exist, or pstokens' credentials lack "
        text += "the access to see it"
    return text


def sentence(exc: PstokensError) -> str:
    """The error as the CLI words it, with its hint: what an adapter's caller reads."""
    from pstokens.render.errors import describe

    return describe(exc) + (f" (hint: {exc.hint})" if exc.hint else "")
