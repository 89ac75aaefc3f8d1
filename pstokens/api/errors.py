"""Errors from the PlanetScale API, mapped from HTTP in one place (the client).

The tree of these classes is drawn with every other error in `pstokens.errors`.

Which branch an answer lands on is decided by `retry.classify`, the same
table that decides whether it is resent: a type never says "transient" for
what pstokens would not retry. No error here holds a header, a credential or
a secret; `repr` shows the status, code and message only.
"""

from __future__ import annotations

from typing import Any

from pstokens.errors import PstokensError


class ApiError(PstokensError):
    """Something the PlanetScale API answered (or failed to answer)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.code = code
        self.body = body

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class PermanentApiError(ApiError):
    """An answer that will not change if the request is sent again."""


class Unauthorized(PermanentApiError):
    """401: the credentials are missing or wrong."""


class Forbidden(PermanentApiError):
    """403: the credentials lack an access the call needs."""


class NotFound(PermanentApiError):
    """404: missing, or not visible to these credentials."""


class InvalidRequest(PermanentApiError):
    """400 or 422: the request itself is wrong."""


class PermanentServerError(PermanentApiError):
    """A 5xx that sending again cannot change (501 Not Implemented, say)."""


class UnexpectedStatus(PermanentApiError):
    """A status the API does not use for these calls; not retried."""


class TransientApiError(ApiError):
    """A failure that may pass: retried, and raised only when retries run out."""


class RateLimited(TransientApiError):
    """429, still answered once the retries ran out."""


class ServerError(TransientApiError):
    """500, 502, 503 or 504, still answered once the retries ran out."""


class ConnectionFailed(TransientApiError):
    """The request failed on the network (no answer), after the retries."""


class OutcomeUnknown(ApiError):
    """A write whose response was lost; the write may or may not have happened."""
