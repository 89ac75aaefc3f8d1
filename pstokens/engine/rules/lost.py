"""Finding what a create whose answer was lost made: one rule, for planner and applier.

Before each create, state records an intent: when it started, and which live
tokens of that name were someone else's. A token made by the lost create is
one of the key's name, created no earlier than the intent (less clock skew),
that nobody else claims. The planner uses this to adopt or clean up after a
crash; the applier, to clear what a retried create left behind.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import timedelta

from pstokens.engine.rules.live import LiveToken
from pstokens.state.model import TokenRecord

# A lost create is matched to a live token of the same name created no earlier
# than this before the intent was recorded (clock skew between us and the API).
CLOCK_SKEW = timedelta(minutes=5)


def lost_creates(
    key: str, record: TokenRecord, live: Iterable[LiveToken], claimed: Collection[str]
) -> list[LiveToken]:
    """The live tokens a lost create of `key` may have made, oldest first.

    `claimed` holds IDs that belong to something else (state's managed tokens,
    or what the caller already matched); the record's `preexisting` IDs are
    never matched either.
    """
    if record.pending_since is None:
        return []
    since = record.pending_since - CLOCK_SKEW
    found = [
        t for t in live
        if t.name == key and t.id not in claimed and t.id not in record.preexisting
        and (t.created_at is None or t.created_at >= since)
    ]
    return sorted(found, key=lambda t: (t.created_at is None, t.created_at, t.id))
