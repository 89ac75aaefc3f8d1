"""Errors from the PlanetScale API, mapped from HTTP in one place (the client).

    ApiError                      status, code, message of the API's answer
    ├── PermanentApiError         never retried (the retry table says FAIL)
    │   ├── Unauthorized          401: credentials missing or wrong
    │   ├── Forbidden             403: credentials lack an access
    │   ├── NotFound              404: missing, or not visible to these credentials
    │   ├── InvalidRequest        400 / 422: the request itself is wrong
    │   ├── PermanentServerError  501, 505 and the other 5xx not worth resending
    │   └── UnexpectedStatus      any other status (a redirect, 409, 410 ...)
    ├── TransientApiError         retried with backoff (RETRY); raised once retries run out
    │   ├── RateLimited           429
    │   ├── ServerError           500, 502, 503, 504
    │   └── ConnectionFailed      the request failed on the network
    └── OutcomeUnknown            a write whose answer was lost: it may have happened

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
    pass


class Forbidden(PermanentApiError):
    pass


class NotFound(PermanentApiError):
    pass


class InvalidRequest(PermanentApiError):
    pass


class PermanentServerError(PermanentApiError):
    """A 5xx that sending again cannot change (501 Not Implemented, say)."""


class UnexpectedStatus(PermanentApiError):
    """A status the API does not use for these calls; not retried."""


class TransientApiError(ApiError):
    """A failure that may pass: retried, and raised only when retries run out."""


class RateLimited(TransientApiError):
    pass


class ServerError(TransientApiError):
    pass


class ConnectionFailed(TransientApiError):
    pass


class OutcomeUnknown(ApiError):
    """A write whose response was lost; the write may or may not have happened."""
