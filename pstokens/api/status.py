"""The one place an HTTP status becomes a pstokens error.

Every message names the operation and says what to check next; the API's own
error body (`{"code", "message"}`) is kept on the error for adapters to pass on.
A 5xx is a `ServerError` (transient) only where the retry table resends it.
"""

from __future__ import annotations

from typing import Any

from pstokens.api.errors import (
    ApiError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PermanentServerError,
    RateLimited,
    ServerError,
    Unauthorized,
    UnexpectedStatus,
)
from pstokens.api.retry import retryable

_MAX_DETAIL = 300


def check_response(operation: str, status: int, body: Any, *, attempts: int = 1) -> None:
    """Return for a 2xx status; otherwise raise the error class the status maps to.

    `attempts` is how many times the request was sent, said in the message of
    the retryable errors so a user can tell a flake from an outage.
    """
    if 200 <= status < 300:
        return
    code, api_message = _error_fields(body)
    after = f" after {attempts} attempts" if attempts > 1 else ""
    error: type[ApiError]
    if status == 401:
        error = Unauthorized
        text = "401 unauthorized: the API refused these credentials"
        hint = (
            "check PLANETSCALE_SERVICE_TOKEN_ID and PLANETSCALE_SERVICE_TOKEN "
            "(or PLANETSCALE_API_KEY)"
        )
    elif status == 403:
        error = Forbidden
        text = "403 forbidden: these credentials lack an access this needs"
        hint = (
            "the credentials need read_service_tokens, write_service_tokens and "
            "delete_service_tokens, and can only grant accesses they hold themselves"
        )
    elif status == 404:
        error = NotFound
        text = (
            "not found, or these credentials lack the access to see it "
            "(PlanetScale answers 404 for both)"
        )
        hint = "check the organization, database and token names, and the credentials' accesses"
    elif status in (400, 422):
        error = InvalidRequest
        text = f"{status} the API rejected the request"
        hint = None
    elif status == 429:
        error = RateLimited
        text = f"429 rate limited{after}"
        hint = "lower --rate-limit or --parallelism, or try again in a minute"
    elif status >= 500 and retryable(status):
        error = ServerError
        text = f"{status} PlanetScale server error{after}"
        hint = "PlanetScale may be having trouble: try again later"
    elif status >= 500:
        error = PermanentServerError
        text = f"{status} the API cannot serve this request (not retried: resending cannot help)"
        hint = "check --api-url points at the PlanetScale API, and that pstokens is up to date"
    else:
        error = UnexpectedStatus
        text = f"unexpected HTTP status {status}"
        hint = "check --api-url points at the PlanetScale API"
    if api_message or code:
        text += f" ({_detail(code, api_message)})"
    raise error(f"{operation}: {text}", status=status, code=code, body=body, hint=hint)


def _error_fields(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    code = body.get("code")
    message = body.get("message")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
    )


def _detail(code: str | None, message: str | None) -> str:
    detail = ": ".join(part for part in (code, message) if part)
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 3] + "..."
    return f"API said {detail}"
