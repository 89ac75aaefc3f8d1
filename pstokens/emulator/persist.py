"""The emulator's data file: a versioned, compact JSON image written atomically.

A crash mid-write must leave the previous file whole, so each save goes to a
temporary file in the same folder, is synced, then renamed over the old one.
Secrets are stored only as SHA-256 hashes. The audit log is kept under
`audit`; a file written before it had one reads as an empty log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pstokens.emulator import auditlog
from pstokens.emulator.auditlog import AuditRecord
from pstokens.emulator.records import (
    DATABASE,
    ORGANIZATION,
    Access,
    Resource,
    Token,
    format_time,
    parse_time,
)
from pstokens.fileio import write_private

FORMAT = "pstokens-emulator"
VERSION = 1


@dataclass
class StoreData:
    """Everything the emulator knows; tokens keep creation order per organization."""

    organizations: dict[str, Resource] = field(default_factory=dict)
    databases: dict[str, Resource] = field(default_factory=dict)
    tokens: dict[str, dict[str, Token]] = field(default_factory=dict)
    # Organization -> its audit log, oldest first.
    audit: dict[str, list[AuditRecord]] = field(default_factory=dict)


def save(path: Path, data: StoreData) -> None:
    """Write `data` to `path` atomically, readable by the owner only."""
    write_atomic(path, encode(data))


def load(path: Path) -> StoreData:
    """Read a data file; a missing file is an empty store."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return StoreData()
    try:
        return decode(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a pstokens emulator data file ({exc})") from exc


def write_atomic(path: Path, payload: bytes) -> None:
    write_private(path, payload)


def encode(data: StoreData) -> bytes:
    image = {
        "format": FORMAT,
        "version": VERSION,
        "organizations": {name: _resource(r) for name, r in data.organizations.items()},
        "databases": {name: _resource(r) for name, r in data.databases.items()},
        "tokens": {
            org: [_token(t) for t in tokens.values()] for org, tokens in data.tokens.items()
        },
        "audit": {org: auditlog.encode(log) for org, log in data.audit.items()},
    }
    return json.dumps(image, separators=(",", ":")).encode()


def decode(image: Any) -> StoreData:
    if not isinstance(image, dict) or image.get("format") != FORMAT:
        raise ValueError("missing format marker")
    if image.get("version") != VERSION:
        raise ValueError(f"unsupported version {image.get('version')!r}, expected {VERSION}")
    return StoreData(
        organizations={
            name: _read_resource(name, ORGANIZATION, r)
            for name, r in image["organizations"].items()
        },
        databases={
            name: _read_resource(name, DATABASE, r) for name, r in image["databases"].items()
        },
        tokens={
            org: {t["id"]: _read_token(t) for t in tokens}
            for org, tokens in image["tokens"].items()
        },
        audit={org: auditlog.decode(rows) for org, rows in image.get("audit", {}).items()},
    )


def _resource(resource: Resource) -> dict[str, Any]:
    return {"id": resource.id, "created_at": format_time(resource.created_at)}


def _read_resource(name: str, kind: str, item: dict[str, Any]) -> Resource:
    return Resource(id=item["id"], name=name, type=kind, created_at=parse_time(item["created_at"]))


def _token(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "secret_sha256": token.secret_sha256,
        "created_at": format_time(token.created_at),
        "updated_at": format_time(token.updated_at),
        "expires_at": format_time(token.expires_at),
        "last_used_at": format_time(token.last_used_at),
        "accesses": [
            [a.id, a.access, a.database, format_time(a.created_at)] for a in token.accesses
        ],
    }


def _read_token(item: dict[str, Any]) -> Token:
    return Token(
        id=item["id"],
        name=item["name"],
        secret_sha256=item["secret_sha256"],
        created_at=parse_time(item["created_at"]),
        updated_at=parse_time(item["updated_at"]),
        expires_at=_maybe_time(item["expires_at"]),
        last_used_at=_maybe_time(item["last_used_at"]),
        accesses=[
            Access(id=a_id, access=name, database=db, created_at=parse_time(created))
            for a_id, name, db, created in item["accesses"]
        ],
    )


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)
