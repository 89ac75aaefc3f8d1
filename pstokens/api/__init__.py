"""The PlanetScale API, behind one async client that callers can trust.

The engine, CLI and adapters import from here only: the client, credentials,
models and errors. httpx stays inside `session`; nothing here leaks it.

Names load on first use (PEP 562): importing `pstokens.api.models` or
`pstokens.api.errors` (as the engine does) does not load the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pstokens.api.auth import Credentials, InvalidCredentials, MissingCredentials
    from pstokens.api.client import PlanetScaleClient
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
    from pstokens.clock import Clock, SystemClock
    from pstokens.defaults import DEFAULT_API_URL

_WHERE = {
    "ApiError": "pstokens.api.errors",
    "ClientStats": "pstokens.api.stats",
    "Clock": "pstokens.clock",
    "ConnectionFailed": "pstokens.api.errors",
    "CreatedToken": "pstokens.api.models",
    "Credentials": "pstokens.api.auth",
    "DEFAULT_API_URL": "pstokens.defaults",
    "Forbidden": "pstokens.api.errors",
    "InvalidCredentials": "pstokens.api.auth",
    "InvalidRequest": "pstokens.api.errors",
    "MissingCredentials": "pstokens.api.auth",
    "NotFound": "pstokens.api.errors",
    "OutcomeUnknown": "pstokens.api.errors",
    "PermanentApiError": "pstokens.api.errors",
    "PermanentServerError": "pstokens.api.errors",
    "PlanetScaleClient": "pstokens.api.client",
    "RateLimited": "pstokens.api.errors",
    "RetryPolicy": "pstokens.api.retry",
    "ServerError": "pstokens.api.errors",
    "ServiceToken": "pstokens.api.models",
    "SystemClock": "pstokens.clock",
    "TokenAccess": "pstokens.api.models",
    "TransientApiError": "pstokens.api.errors",
    "Unauthorized": "pstokens.api.errors",
    "UnexpectedStatus": "pstokens.api.errors",
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'pstokens.api' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
