"""Turning a live organization into a pstokens.yaml, to start managing it.

Keys are the token names, made valid and unique where they need to be; a token
whose key is not its exact name gets a comment with the import command that
adopts it, since `import --by-name` cannot match it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import yaml

from pstokens.accesses import ALL_ACCESSES
from pstokens.api.models import ServiceToken, TokenAccess
from pstokens.engine.live import access_map

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


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


def export_yaml(
    organization: str, tokens: Sequence[tuple[ServiceToken, Sequence[TokenAccess]]]
) -> str:
    counts: dict[str | None, int] = {}
    for token, _ in tokens:
        counts[token.name] = counts.get(token.name, 0) + 1
    used: set[str] = set()
    unknown = False
    blocks: list[str] = []
    for token, accesses in sorted(tokens, key=lambda t: (t[0].name or "", t[0].id)):
        key = _unique(_valid_key(token), used)
        used.add(key)
        body: dict[str, object] = {}
        ttl = observed_ttl(token.created_at, token.expires_at)
        if ttl is not None:
            body["ttl"] = duration_text(ttl)
        grouped = access_map((a.database, a.access) for a in accesses)
        unknown |= any(n not in ALL_ACCESSES for names in grouped.values() for n in names)
        spec: dict[str, object] = {}
        if None in grouped:
            spec["organization"] = sorted(grouped[None])
        databases = {db: sorted(n) for db, n in sorted(grouped.items(), key=lambda i: i[0] or "")
                     if db is not None}
        if databases:
            spec["databases"] = databases
        if spec:
            body["accesses"] = spec
        if body:
            text = yaml.safe_dump({key: body}, sort_keys=False, default_flow_style=None)
        else:
            text = yaml.safe_dump({key: {}}, default_flow_style=None)
        note = ""
        if key != token.name or counts[token.name] > 1:
            note = f"# name {token.name!r}: adopt with `pstokens import {key} {token.id}`\n"
        blocks.append(note + text)
    head = {"organization": organization}
    if unknown:
        head["allow_unknown_accesses"] = True  # type: ignore[assignment]
    lines = [yaml.safe_dump(head, sort_keys=False)]
    if blocks:
        lines.append("tokens:\n")
        lines.extend(_indent(b) for b in blocks)
    else:
        lines.append("tokens: {}\n")
    return "".join(lines)


def _valid_key(token: ServiceToken) -> str:
    name = (token.name or "").strip().lower()
    name = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")[:63]
    return name if name and _KEY.match(name) else f"token-{token.id}"


def _unique(key: str, used: set[str]) -> str:
    candidate, n = key, 2
    while candidate in used:
        suffix = f"-{n}"
        candidate = key[: 63 - len(suffix)] + suffix
        n += 1
    return candidate


def _indent(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(True))
