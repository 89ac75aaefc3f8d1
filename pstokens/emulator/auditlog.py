"""The emulator's audit log: an event for each of its token writes, paged by cursor.

PlanetScale audits writes, never reads, keeps events 15 days and lists them
newest first, paged by `starting_after`/`ending_before` an event ID, at most
100 a page (`planetscale-api.md`, "The audit log"). The store records an
event here for each create, delete and access change it makes, and tests
add their own (`service_token.token_leaked`). Who made a write is the
caller the auth layer saw (`ACTOR`), or nobody for the store's own callers.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pstokens.emulator.records import (
    ORGANIZATION,
    Token,
    format_time,
    new_id,
    parse_time,
    stable_id,
    truncate,
)

CREATED = "service_token.created"
DELETED = "service_token.deleted"
ACCESS_CHANGED = "service_token.updated_bulk_database_access"
LEAKED = "service_token.token_leaked"
SERVICE_TOKEN = "ServiceToken"  # noqa: S105 - a type name
RETENTION = timedelta(days=15)
# Past this many events an organization's oldest go first: a benchmark's log stays small.
MAX_EVENTS = 10_000
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

# The emulator's own token making the current request, if any (set by the auth layer).
ACTOR: ContextVar[str | None] = ContextVar("pstokens_emulator_actor", default=None)
# Event IDs need not be reproducible, and must not shift the seeded token IDs.
_IDS = random.SystemRandom()


@dataclass(frozen=True)
class AuditRecord:
    """One event as the emulator keeps it; `event_json` is how the API shows it."""

    id: str
    audit_action: str
    created_at: datetime
    target_id: str | None = None
    target_type: str | None = None
    target_display_name: str | None = None
    actor_id: str | None = None
    actor_type: str | None = None
    actor_display_name: str | None = None
    metadata: dict[str, Any] | None = None


def add(log: list[AuditRecord], record: AuditRecord, now: datetime) -> None:
    """Put `record` in time order (after events of the same moment), dropping what
    PlanetScale would no longer keep."""
    if not log or log[-1].created_at <= record.created_at:
        log.append(record)  # the usual case: a write made now
    else:
        bisect.insort(log, record, key=lambda r: r.created_at)
    cutoff = now - RETENTION
    drop = 0
    while drop < len(log) and log[drop].created_at < cutoff:
        drop += 1
    drop = max(drop, len(log) - MAX_EVENTS)
    if drop:
        del log[:drop]


def new_record(audit_action: str, created_at: datetime, **fields: Any) -> AuditRecord:
    """A fresh event; the actor is the calling token unless `fields` say otherwise."""
    if "actor_id" not in fields and (actor := ACTOR.get()) is not None:
        fields.update(actor_id=actor, actor_type=SERVICE_TOKEN, actor_display_name=actor)
    # 36^12 IDs drawn by the system's generator: a repeat is not worth a lookup.
    return AuditRecord(new_id(_IDS, ()), audit_action, created_at, **fields)


def record(
    log: list[AuditRecord], audit_action: str, now: datetime, created_at: datetime | None,
    target: Token | None, **fields: Any,
) -> AuditRecord:
    """Add an event made `now` (or dated `created_at`) to `log`; a `target` token
    gives its ID, type and name unless `fields` say otherwise."""
    if target is not None:
        fields.setdefault("target_id", target.id)
        fields.setdefault("target_type", SERVICE_TOKEN)
        fields.setdefault("target_display_name", target.name)
    made = new_record(audit_action, truncate(created_at) if created_at else now, **fields)
    add(log, made, now)
    return made


def page(
    log: Sequence[AuditRecord], *, limit: int, starting_after: str | None = None,
    ending_before: str | None = None, actions: Collection[str] = (),
) -> tuple[list[AuditRecord], bool, bool]:
    """(events newest first, has_next, has_prev): the `limit` events after
    `starting_after` (older), or before `ending_before` (newer), or the newest.
    An unknown cursor names no place in the log: an empty page."""
    events = [r for r in reversed(log) if not actions or r.audit_action in actions]
    ids = [r.id for r in events]
    if starting_after is not None:
        if starting_after not in ids:
            return [], False, False
        start = ids.index(starting_after) + 1
    elif ending_before is not None:
        if ending_before not in ids:
            return [], False, False
        start = max(0, ids.index(ending_before) - limit)
        end = ids.index(ending_before)
        return events[start:end], True, start > 0
    else:
        start = 0
    chunk = events[start:start + limit]
    return chunk, start + limit < len(events), start > 0


def event_json(record: AuditRecord, organization: str) -> dict[str, Any]:
    """An event with every field the API sends (those it may send as null, null here)."""
    return {
        "id": record.id,
        "type": "AuditLogEvent",
        "audit_action": record.audit_action,
        "action": record.audit_action.rpartition(".")[2],
        "actor_id": record.actor_id,
        "actor_type": record.actor_type,
        "actor_display_name": record.actor_display_name,
        "auditable_id": stable_id(ORGANIZATION, organization),
        "auditable_type": ORGANIZATION,
        "auditable_display_name": organization,
        "target_id": record.target_id,
        "target_type": record.target_type,
        "target_display_name": record.target_display_name,
        "location": None,
        "remote_ip": None,
        "metadata": record.metadata,
        "created_at": format_time(record.created_at),
        "updated_at": format_time(record.created_at),
    }


def list_json(items: Sequence[AuditRecord], organization: str, has_next: bool,
              has_prev: bool) -> dict[str, Any]:
    """The cursor envelope of one page."""
    return {
        "type": "list",
        "has_next": has_next,
        "has_prev": has_prev,
        "cursor_start": items[0].id if items else None,
        "cursor_end": items[-1].id if items else None,
        "data": [event_json(r, organization) for r in items],
    }


# -- the data file -----------------------------------------------------------------

_FIELDS = ("id", "audit_action", "created_at", "target_id", "target_type",
           "target_display_name", "actor_id", "actor_type", "actor_display_name", "metadata")


def encode(log: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    return [{name: format_time(r.created_at) if name == "created_at" else getattr(r, name)
             for name in _FIELDS} for r in log]


def decode(rows: Any) -> list[AuditRecord]:
    return [AuditRecord(**{name: row.get(name) for name in _FIELDS if name != "created_at"},
                        created_at=parse_time(row["created_at"])) for row in rows]
