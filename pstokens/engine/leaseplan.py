"""Which live tokens are leases, and what a plan or a sweep does about them: pure.

A lease is a token named `KEY+lease-XXXXXXXX` (`+` never appears in a key, so
no managed token is ever taken for one). State records each lease `exec`
made, from an intent written before its create: a recorded ID, or for an
intent whose create answer was lost, the lease's unique name, finds it. Live
tokens bearing a lease's name that state does not record (another state's,
or one whose state was lost) are leases too: listed, and deleted once expired.

A live lease is shown, never taken for an unmanaged token or for drift; an
expired one is planned for deletion (cause `lease_expired`), and so is one
the audit log reports leaked (cause `leaked`): a lease cannot be replaced
under the command holding it, so it goes at once.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import datetime

from pstokens.engine.leaseview import LeaseView, lease_key
from pstokens.engine.live import LiveToken
from pstokens.engine.lost import CLOCK_SKEW
from pstokens.engine.plan import Action, Cause, Change
from pstokens.state.model import LeaseRecord, State


def find_leases(state: State, live: Mapping[str, LiveToken]) -> list[LeaseView]:
    """Every lease state records or the organization holds, by name."""
    by_name: dict[str, list[LiveToken]] = {}
    for token in live.values():
        if lease_key(token.name) is not None:
            by_name.setdefault(token.name or "", []).append(token)
    found: list[LeaseView] = []
    seen: set[str] = set()
    for name, record in sorted(state.leases.items()):
        for token in _tokens_of(record, by_name.get(name, []), live):
            seen.add(token.id)
            found.append(_view(name, record.key, token, record))
        if not any(v.name == name for v in found):
            found.append(LeaseView(name, record.key, record.id, record.expires_at,
                                   live=False, recorded=True))
    for name, tokens in sorted(by_name.items()):
        for token in tokens:
            if token.id not in seen:
                found.append(_view(name, lease_key(name) or "", token, None))
    return found


def _tokens_of(
    record: LeaseRecord, namesakes: list[LiveToken], live: Mapping[str, LiveToken]
) -> Iterable[LiveToken]:
    if record.id is not None:
        token = live.get(record.id)
        return [token] if token is not None else []
    # An intent: what a lost create made bears its unique name, created since.
    since = record.pending_since - CLOCK_SKEW if record.pending_since else None
    return [t for t in namesakes
            if since is None or t.created_at is None or t.created_at >= since]


def _view(name: str, key: str, token: LiveToken, record: LeaseRecord | None) -> LeaseView:
    expires = token.expires_at or (record.expires_at if record else None)
    return LeaseView(name, key, token.id, expires, live=True, recorded=record is not None)


def plan_leases(
    state: State, live: Mapping[str, LiveToken], now: datetime,
    targets: Iterable[str] = (),
    leaked: Container[str] = frozenset(),
) -> tuple[list[Change], tuple[LeaseView, ...], frozenset[str]]:
    """A plan's part about leases: deletes of the expired and the `leaked` ones,
    the live ones to list, and the IDs of every live lease (never unmanaged)."""
    wanted = set(targets)
    leases = [v for v in find_leases(state, live)
              if v.live and (not wanted or v.key in wanted)]
    changes = [
        Change(Action.DELETE, None, v.token_id, name=v.name,
               cause=Cause.LEAKED if v.token_id in leaked else Cause.LEASE_EXPIRED)
        for v in leases if v.token_id in leaked or v.expired(now)
    ]
    shown = tuple(v for v in leases if not v.expired(now) and v.token_id not in leaked)
    ids = frozenset(v.token_id for v in find_leases(state, live) if v.live and v.token_id)
    return changes, shown, ids


def forget_lease(state: State, token_id: str | None, name: str | None) -> State:
    """State without the lease whose token `token_id` (or whose intent `name`) was deleted."""
    for lease_name, record in state.leases.items():
        if (token_id is not None and record.id == token_id) or (
            record.id is None and lease_name == name
        ):
            return state.with_lease(lease_name, None)
    return state
