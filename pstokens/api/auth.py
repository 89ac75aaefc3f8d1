"""Credentials for the PlanetScale API, read from the environment.

The secret half is a `Secret`, so a credential can be logged or shown in a
traceback without leaking; only `authorization()` builds the header value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pstokens.errors import PstokensError
from pstokens.expected import expect
from pstokens.secret import Secret
from pstokens.shortsecrets import mask_words, short

# Names of environment variables, not secrets.
TOKEN_ID_VAR = "PLANETSCALE_SERVICE_TOKEN_ID"  # noqa: S105
TOKEN_VAR = "PLANETSCALE_SERVICE_TOKEN"  # noqa: S105
API_KEY_VAR = "PLANETSCALE_API_KEY"

_NO_CREDENTIALS = (
    f"no PlanetScale credentials: set {TOKEN_ID_VAR} and {TOKEN_VAR}, or {API_KEY_VAR}"
)
_REDACTED = "***"


class MissingCredentials(PstokensError):
    """No usable credentials; the message names the variables to set."""

    def __init__(self, message: str = _NO_CREDENTIALS, hint: str | None = None) -> None:
        super().__init__(message, hint)


class InvalidCredentials(PstokensError):
    """A credential that cannot go into an HTTP header (a line break, say)."""


@dataclass(frozen=True)
class Credentials:
    """How the client authenticates; `repr` and `str` show only the kind and token ID."""

    kind: Literal["service_token", "bearer"]
    token_id: str | None = None
    secret: Secret = field(default_factory=lambda: Secret(""), repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        """The service token pair if complete, else the API key.

        Neither is `MissingCredentials` naming the variables to set; half a pair
        with no API key to fall back on names the missing one: it is almost
        always a typo in a CI secret's name.
        """
        # Named by its type alone: the environment holds secrets.
        expect(env, Mapping, "Credentials.from_env env", "a mapping of variable names to "
               "values, such as os.environ", secret=True)
        token_id = _read(env, TOKEN_ID_VAR)
        token = _read(env, TOKEN_VAR)
        api_key = _read(env, API_KEY_VAR)
        if token_id and token:
            return cls.service_token(token_id, token)
        if api_key:
            return cls.bearer(api_key)
        if token_id or token:
            present, missing = (TOKEN_ID_VAR, TOKEN_VAR) if token_id else (TOKEN_VAR, TOKEN_ID_VAR)
            raise MissingCredentials(
                f"{present} is set but {missing} is not: set both, or {API_KEY_VAR}"
            )
        raise MissingCredentials()

    @classmethod
    def service_token(cls, token_id: str, token: str) -> Credentials:
        _check_header_safe(TOKEN_ID_VAR, token_id)
        _check_header_safe(TOKEN_VAR, token)
        if ":" in token_id:
            raise InvalidCredentials(f"{TOKEN_ID_VAR} must not contain ':'")
        return cls(kind="service_token", token_id=token_id, secret=Secret(token))

    @classmethod
    def bearer(cls, key: str) -> Credentials:
        _check_header_safe(API_KEY_VAR, key)
        return cls(kind="bearer", secret=Secret(key))

    def authorization(self) -> str:
        """The `Authorization` header value; never log or show it."""
        if self.kind == "service_token":
            return f"{self.token_id}:{self.secret.reveal()}"
        return f"Bearer {self.secret.reveal()}"

    def redact(self, text: str) -> str:
        """`text` with the secret (and the whole header value) masked out."""
        long, brief = short((self.authorization(), self.secret.reveal()))
        for sensitive in long:
            text = text.replace(sensitive, _REDACTED)
        # A secret of a few characters (`k`) as a whole word only, not inside words.
        return mask_words(text, brief, _REDACTED)


def _read(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if value is not None:  # never shown: it may be the secret
        expect(value, str, f"Credentials.from_env env[{name!r}]", "a str", secret=True)
    return (value or "").strip()


def _check_header_safe(name: str, value: str) -> None:
    # Never echo the value: it is (or contains) a secret.
    if not value:
        raise MissingCredentials(f"{name} is empty")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value) or not value.isascii():
        raise InvalidCredentials(
            f"{name} contains a control or non-ASCII character; check how it was set"
        )
