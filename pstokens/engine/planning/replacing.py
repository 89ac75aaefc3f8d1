"""When a managed token is replaced, and when the tokens it replaced are deleted.

The planner asks `replace_cause` of each managed token it finds live, and
`retire` / `retiring_gone` of each key whose record still lists tokens it
replaced. Pure, like the planner: plain values in, changes added to the plan
being built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from pstokens.config.model import TokenSpec
from pstokens.engine.planning.builder import Builder
from pstokens.engine.planning.plan import Action, Cause, Change
from pstokens.engine.rules.findings import Drift, DriftKind
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.rotation import decide_retiring
from pstokens.state.model import TokenRecord

# A token created with a ttl expires a moment after created_at + ttl.
TTL_TOLERANCE = 60


def replace_cause(
    spec: TokenSpec, record: TokenRecord, token: LiveToken, now: datetime, *, forced: bool
) -> Cause | None:
    """Why the live token of `spec` must be replaced; None: it may stay."""
    if not record.verified:
        return Cause.UNVERIFIED
    if record.partly_delivered:
        return Cause.PARTLY_DELIVERED
    if not record.delivered:
        return Cause.UNDELIVERED
    if token.expires_at is not None and token.expires_at <= now:
        return Cause.EXPIRED
    if not same_ttl(spec.ttl, record.ttl):
        return Cause.TTL_CHANGED
    created = token.created_at or record.created_at
    rotate_after = None if spec.rotate_after is None else timedelta(seconds=spec.rotate_after)
    if rotate_after is not None and created is not None and now - created >= rotate_after:
        return Cause.ROTATE_AFTER
    if forced:
        return Cause.FORCED
    return None


def retire(
    out: Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken],
    now: datetime, spec: TokenSpec | None,
) -> None:
    """Tokens this key replaced: kept while their overlap lasts (and, with
    retire_when_unused, while PlanetScale sees them used), then deleted; a leaked
    one goes now (apply still waits for the key's new token, if it makes one)."""
    replacing = out.makes_new_token(key)
    leaked = [i for i in record.retiring if i in out.leaked and i in live]
    if leaked:
        record = replace(record, retiring=tuple(i for i in record.retiring if i not in leaked))
        out.changes += [Change(Action.DELETE, key, i, name=record.name, cause=Cause.LEAKED)
                        for i in leaked]
    decision = decide_retiring(key, record, live, now,
                               overlap=spec.overlap if spec else None, replacing=replacing,
                               retire_when_unused=spec.retire_when_unused if spec else None)
    out.retiring += decision.waiting
    for token_id, cause in [*((i, Cause.RETIRED) for i in decision.now),
                            *((i, Cause.OVERLAP_ENDED) for i in decision.ended),
                            *((i, Cause.NOT_USED) for i in decision.unused)]:
        out.changes.append(Change(Action.DELETE, key, token_id, name=record.name, cause=cause))


def retiring_gone(
    out: Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken]
) -> None:
    """Retiring tokens deleted outside pstokens: drift, and state forgets them."""
    for token_id in record.retiring:
        if token_id not in live:
            out.drift.append(Drift(key, token_id, DriftKind.DELETED))
            out.changes.append(Change(Action.DELETE, key, token_id, name=record.name,
                                      cause=Cause.RETIRING_GONE))


def same_ttl(desired: int | None, recorded: int | None) -> bool:
    if desired is None or recorded is None:
        return desired == recorded
    return abs(desired - recorded) <= TTL_TOLERANCE
