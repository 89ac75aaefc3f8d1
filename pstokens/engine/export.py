"""Turning a live organization into a pstokens.yaml, to start managing it.

Keys are the token names, made valid and unique where they need to be. A key
equal to a name always belongs to a token with exactly that name, so
`import --by-name` never adopts the wrong one; any other token gets a comment
naming it (escaped: names are untrusted) with the import command that adopts it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import yaml

from pstokens.accesses import ALL_ACCESSES
from pstokens.config.wording import quote
from pstokens.engine.leaseview import lease_key
from pstokens.engine.live import LiveToken

_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_MAX_KEY = 63


@dataclass(frozen=True)
class Exported:
    """The config text, and which live token each of its keys stands for."""

    text: str
    tokens: Mapping[str, LiveToken]


def observed_ttl(created_at: datetime | None, expires_at: datetime | None) -> int | None:
    """The ttl a token was created with, as far as its timestamps tell."""
    if created_at is None or expires_at is None:
        return None
    return max(1, round((expires_at - created_at).total_seconds()))


def duration_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def assign_keys(tokens: Iterable[LiveToken]) -> dict[str, LiveToken]:
    """Key -> token. A name that is a valid key is its token's key (the oldest
    token's, when several share it); every other token gets a key derived from
    its name (or ID), made unique against all the others."""
    keys: dict[str, LiveToken] = {}
    rest: list[LiveToken] = []
    for token in sorted(tokens, key=_age):
        if token.name is not None and _KEY.fullmatch(token.name) and token.name not in keys:
            keys[token.name] = token
        else:
            rest.append(token)
    for token in sorted(rest, key=lambda t: (t.name or "", t.id)):
        keys[_unique(_derived_key(token), keys)] = token
    return dict(sorted(keys.items()))


def export_config(
    organization: str, tokens: Sequence[LiveToken], *, adopted: bool = False
) -> Exported:
    """The organization's tokens (with their accesses read) as pstokens.yaml text.

    `adopted`: state will record every key, so comments need not say how to import.
    Leases (`pstokens exec`) are left out: they are never managed tokens.
    """
    tokens = [t for t in tokens if lease_key(t.name) is None]
    keys = assign_keys(tokens)
    counts: dict[str | None, int] = {}
    for token in tokens:
        counts[token.name] = counts.get(token.name, 0) + 1
    unknown = any(
        name not in ALL_ACCESSES
        for token in tokens for names in (token.accesses or {}).values() for name in names
    )
    blocks = []
    for key, token in keys.items():
        note = ""
        if key != token.name or counts[token.name] > 1:
            note = f"# {_described(token, counts[token.name])}"
            note += "\n" if adopted else f": adopt with `pstokens import {key} {token.id}`\n"
        blocks.append(note + yaml.safe_dump({key: _body(token)}, sort_keys=False,
                                            default_flow_style=None))
    head: dict[str, object] = {"organization": organization}
    if unknown:
        head["allow_unknown_accesses"] = True
    parts = [yaml.safe_dump(head, sort_keys=False)]
    if blocks:
        parts.append("tokens:\n")
        parts.extend(_indent(b) for b in blocks)
    else:
        parts.append("tokens: {}\n")
    return Exported("".join(parts), keys)


def _body(token: LiveToken) -> dict[str, object]:
    body: dict[str, object] = {}
    ttl = observed_ttl(token.created_at, token.expires_at)
    if ttl is not None:
        body["ttl"] = duration_text(ttl)
    grouped = token.accesses or {}
    spec: dict[str, object] = {}
    if grouped.get(None):
        spec["organization"] = sorted(grouped[None])
    databases = {db: sorted(names) for db, names in sorted(grouped.items(), key=_database)
                 if db is not None and names}
    if databases:
        spec["databases"] = databases
    if spec:
        body["accesses"] = spec
    return body


def _database(item: tuple[str | None, object]) -> str:
    return item[0] or ""


def _described(token: LiveToken, count: int) -> str:
    if token.name is None:
        return "token without a name"
    shared = f", shared by {count} tokens" if count > 1 else ""
    return f"name {quote(token.name, limit=None)}{shared}"


def _age(token: LiveToken) -> tuple[bool, float, str]:
    created = token.created_at
    return (created is None, created.timestamp() if created else 0.0, token.id)


def _derived_key(token: LiveToken) -> str:
    text = unicodedata.normalize("NFKD", token.name or "").encode("ascii", "ignore").decode()
    # Runs of anything else (with the separators around them) become one "-".
    key = re.sub(r"[-._]*[^a-z0-9._-]+[-._]*", "-", text.strip().lower())
    key = key.strip("-._")[:_MAX_KEY].rstrip("-._")
    if _KEY.fullmatch(key):
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


def _indent(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(True))
