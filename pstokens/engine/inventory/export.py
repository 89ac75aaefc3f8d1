"""Which key each live token gets when an organization is exported, to start managing it.

Keys are the token names, made valid and unique where they need to be. A key
equal to a name always belongs to a token with exactly that name, so
`import --by-name` never adopts the wrong one; any other token gets a comment
naming it (escaped: names are untrusted) with the import command that adopts it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime

from pstokens.defaults import TOKEN_KEY
from pstokens.engine.rules.leaseview import lease_key
from pstokens.engine.rules.live import LiveToken

_MAX_KEY = 63


def observed_ttl(created_at: datetime | None, expires_at: datetime | None) -> int | None:
    """The ttl a token was created with, as far as its timestamps tell."""
    if created_at is None or expires_at is None:
        return None
    return max(1, round((expires_at - created_at).total_seconds()))


def assign_keys(tokens: Iterable[LiveToken]) -> dict[str, LiveToken]:
    """Key -> token. A name that is a valid key is its token's key (the oldest
    token's, when several share it); every other token gets a key derived from
    its name (or ID), made unique against all the others."""
    keys: dict[str, LiveToken] = {}
    rest: list[LiveToken] = []
    # Leases (`pstokens exec`) are never managed tokens: they get no key.
    tokens = [t for t in tokens if lease_key(t.name) is None]
    for token in sorted(tokens, key=_age):
        if token.name is not None and TOKEN_KEY.fullmatch(token.name) and token.name not in keys:
            keys[token.name] = token
        else:
            rest.append(token)
    for token in sorted(rest, key=lambda t: (t.name or "", t.id)):
        keys[_unique(_derived_key(token), keys)] = token
    return dict(sorted(keys.items()))


def _age(token: LiveToken) -> tuple[bool, float, str]:
    created = token.created_at
    return (created is None, created.timestamp() if created else 0.0, token.id)


def _derived_key(token: LiveToken) -> str:
    text = unicodedata.normalize("NFKD", token.name or "").encode("ascii", "ignore").decode()
    # Runs of anything else (with the separators around them) become one "-".
    key = re.sub(r"[-._]*[^a-z0-9._-]+[-._]*", "-", text.strip().lower())
    key = key.strip("-._")[:_MAX_KEY].rstrip("-._")
    if TOKEN_KEY.fullmatch(key):
        return key
    token_id = re.sub(r"[^a-z0-9]+", "-", token.id.lower()).strip("-")
    return f"token-{token_id}"[:_MAX_KEY]


def _unique(key: str, used: Mapping[str, object]) -> str:
    candidate, n = key, 2
    while candidate in used:
        suffix = f"-{n}"
        candidate = key[: _MAX_KEY - len(suffix)] + suffix
        n += 1
    return candidate
