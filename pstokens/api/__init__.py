"""The PlanetScale API, behind one async client that callers can trust.

The engine, CLI and adapters import from here only: the client, credentials,
models and errors. httpx stays inside `session`; nothing here leaks it.
"""

from pstokens.api.auth import Credentials, InvalidCredentials, MissingCredentials
from pstokens.api.client import DEFAULT_API_URL, PlanetScaleClient
from pstokens.api.clock import Clock, SystemClock
from pstokens.api.errors import (
    ApiError,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    PermanentApiError,
    PermanentServerError,
    RateLimited,
    ServerError,
    TransientApiError,
    Unauthorized,
    UnexpectedStatus,
)
from pstokens.api.models import CreatedToken, ServiceToken, TokenAccess
from pstokens.api.retry import RetryPolicy
from pstokens.api.stats import ClientStats

__all__ = [
    "DEFAULT_API_URL",
    "ApiError",
    "ClientStats",
    "Clock",
    "ConnectionFailed",
    "CreatedToken",
    "Credentials",
    "Forbidden",
    "InvalidCredentials",
    "InvalidRequest",
    "MissingCredentials",
    "NotFound",
    "OutcomeUnknown",
    "PermanentApiError",
    "PermanentServerError",
    "PlanetScaleClient",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "ServiceToken",
    "SystemClock",
    "TokenAccess",
    "TransientApiError",
    "Unauthorized",
    "UnexpectedStatus",
]
