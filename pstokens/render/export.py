"""The pstokens.yaml that `export` prints: live tokens under their keys, as YAML.

The engine (`pstokens.engine.inventory.export`) decides each token's key; this writes
the file. A token whose key is not its name, or whose name is shared, gets a
comment naming it (quoted: names are untrusted) and the command that adopts it.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from pstokens.accesses import ALL_ACCESSES
from pstokens.config.duration import format_duration
from pstokens.engine.inventory.export import observed_ttl
from pstokens.engine.rules.live import LiveToken
from pstokens.quoting import quote


def export_yaml(
    organization: str, keys: Mapping[str, LiveToken], *, adopted: bool = False
) -> str:
    """The organization's tokens (with their accesses read), under the keys
    `assign_keys` gave them, as pstokens.yaml text.

    `adopted`: state will record every key, so comments need not say how to import.
    """
    tokens = list(keys.values())
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
    return "".join(parts)


def _body(token: LiveToken) -> dict[str, object]:
    body: dict[str, object] = {}
    ttl = observed_ttl(token.created_at, token.expires_at)
    if ttl is not None:
        body["ttl"] = format_duration(ttl)
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


def _indent(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(True))
