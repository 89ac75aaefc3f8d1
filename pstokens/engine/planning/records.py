"""What apply writes to a key's state record before a create and after a delete.

Pure functions over plain records, so the applier stays a sequence of steps
and each rule about what a record keeps is stated once.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import replace
from datetime import datetime

from pstokens.engine.planning.plan import Change
from pstokens.state.model import TokenRecord


def intent_record(record: TokenRecord | None, change: Change, retiring_ids: Iterable[str],
                  namesakes: Iterable[str], now: datetime) -> TokenRecord:
    """The intent written before a create: no ID yet, when it started, what the key
    must still delete or keep retiring (`retiring_ids`; any other retiring ID was
    already gone when the plan was made, so it is dropped), and the live namesakes
    that are not pstokens' (a lost create is never matched to one of those)."""
    retiring = tuple(sorted(set(retiring_ids)))
    times = record.retire_at if record else {}
    delivered = record.successor_delivered_at if record else {}
    pending = record.pending_since if record and record.id is None else None
    known = record.preexisting if record and pending else ()
    return TokenRecord(
        id=None, name=change.name or change.key or "", ttl=change.ttl,
        delivered=False, pending_since=pending or now, retiring=retiring,
        retire_at={i: t for i, t in times.items() if i in retiring},
        successor_delivered_at={i: t for i, t in delivered.items() if i in retiring},
        secret_dirs=record.secret_dirs if record else (),
        held_by={i: w for i, w in (record.held_by if record else {}).items() if i in retiring},
        prevent_destroy=change.prevent_destroy,
        preexisting=tuple(sorted({*known, *namesakes} - set(retiring))),
    )


def after_delete(record: TokenRecord | None, token_id: str | None, doomed: Set[str],
                 kept: Set[str], deleted: Set[str], *, removed: bool) -> TokenRecord | None:
    """State after a delete: the ID is gone, and so is a key left with nothing.

    Retiring IDs this plan neither deletes (`doomed`) nor keeps retiring (`kept`)
    were already gone when it was made, so they go too. A `removed` key stays
    while any of its deletes is outstanding: what those would delete must still
    be found next time.
    """
    if record is None:
        return None
    retiring = tuple(i for i in record.retiring
                     if (i in doomed or i in kept) and i not in deleted)
    ident = None if record.id in deleted or record.id == token_id else record.id
    if removed and ident is None and not doomed - deleted:
        return None
    times = {i: t for i, t in record.retire_at.items() if i in retiring}
    delivered = {i: t for i, t in record.successor_delivered_at.items() if i in retiring}
    held = {i: w for i, w in record.held_by.items() if i in retiring or i == ident}
    return replace(record, id=ident, retiring=retiring, retire_at=times, held_by=held,
                   successor_delivered_at=delivered)
