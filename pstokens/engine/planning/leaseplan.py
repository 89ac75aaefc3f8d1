"""Which live tokens are leases, and what a plan or a sweep does about them: pure.

A lease is recognised by state, never by its name alone. State records each
lease `exec` made, from an intent written before its create: a recorded ID,
or for an intent whose create answer was lost, the lease's unique name, finds
it. A token this state does not record (another state's, or one whose state
was lost with its CI runner) is a lease only when it looks like what `exec`
makes (`LeaseRule`): a lease's name for a key of the config, and an expiry no
later than the longest ttl `exec` allows. Any other token, whatever its name,
is judged like every other: unmanaged, drift, rules.

A live lease is shown, never taken for an unmanaged token or for drift; an
expired one is planned for deletion (cause `lease_expired`), and so is one
the audit log reports leaked (cause `leaked`): a lease cannot be replaced
under the command holding it, so it goes at once.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pstokens.config.model import AccessMap, Config
from pstokens.engine.planning.plan import Action, Cause, Change
from pstokens.engine.rules.leaseview import LeaseView, lease_key
from pstokens.engine.rules.live import CLOCK_SKEW, LiveToken
from pstokens.state.model import LeaseRecord, State

# A lease's expiry may read back a little later than its ttl (the API rounds times).
EXPIRY_SLACK = timedelta(minutes=1)


def longest_lease_ttl(config: Config) -> int | None:
    """The longest ttl `exec` allows, seconds: `rules.max_ttl`, or None when unset."""
    return config.rules.max_ttl if config.rules else None


@dataclass(frozen=True)
class LeaseRule:
    """What a live token that this state does not record must be to count as a lease:
    named `KEY+lease-XXXXXXXX` for a KEY of the config, holding no access KEY does
    not give (a lease is granted exactly KEY's accesses; fewer after a run killed
    while granting), and expiring no later than `longest` seconds (None: any ttl)
    after it was created. A token whose accesses were not read is no lease."""

    accesses: Mapping[str, AccessMap] = field(default_factory=dict)  # key -> its accesses
    longest: int | None = None

    @classmethod
    def of(cls, config: Config | None) -> LeaseRule:
        """The config's rule; without a config no unrecorded token is a lease."""
        if config is None:
            return cls()
        return cls({k: spec.accesses for k, spec in config.tokens.items()},
                   longest_lease_ttl(config))

    def admits(self, token: LiveToken) -> bool:
        key = lease_key(token.name)
        if key is None or key not in self.accesses or token.accesses is None:
            return False
        given = self.accesses[key]
        if any(not names <= given.get(scope, frozenset())
               for scope, names in token.accesses.items()):
            return False  # more than its key gives: judged like any other token
        if token.expires_at is None or token.created_at is None:
            return False  # `exec` always sets a ttl; a token without one is no lease
        if self.longest is None:
            return True
        return token.expires_at <= (token.created_at + timedelta(seconds=self.longest)
                                    + EXPIRY_SLACK)


# No token that state does not record is a lease.
RECORDED_ONLY = LeaseRule()


def find_leases(state: State, live: Mapping[str, LiveToken], rule: LeaseRule) -> list[LeaseView]:
    """Every lease state records (by ID, or by an intent's name), and every live
    token `rule` admits as a lease this state does not record."""
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
            if token.id not in seen and rule.admits(token):
                found.append(_view(name, lease_key(name) or "", token, None))
    return found


def settled(views: Iterable[LeaseView], before: State) -> list[LeaseView]:
    """`views` (found from a state read after the token list) with a recorded lease
    that is not live taken as gone only when `before`, read ahead of the token
    list, recorded the same ID: one recorded since is a running `exec`'s lease,
    whose token may have been created after the list was read."""
    known = {(name, r.id) for name, r in before.leases.items() if r.id is not None}
    return [replace(v, live=True) if (not v.live and v.token_id is not None
                                      and (v.name, v.token_id) not in known) else v
            for v in views]


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
    state: State, live: Mapping[str, LiveToken], now: datetime, rule: LeaseRule,
    targets: Iterable[str] = (),
    leaked: Container[str] = frozenset(),
) -> tuple[list[Change], tuple[LeaseView, ...], frozenset[str]]:
    """A plan's part about leases: deletes of the expired and the `leaked` ones,
    the live ones to list, and the IDs of every live lease (never unmanaged)."""
    wanted = set(targets)
    found = find_leases(state, live, rule)
    leases = [v for v in found if v.live and (not wanted or v.key in wanted)]
    changes = [
        Change(Action.DELETE, None, v.token_id, name=v.name,
               cause=Cause.LEAKED if v.token_id in leaked else Cause.LEASE_EXPIRED)
        for v in leases if v.token_id in leaked or v.expired(now)
    ]
    shown = tuple(v for v in leases if not v.expired(now) and v.token_id not in leaked)
    ids = frozenset(v.token_id for v in found if v.live and v.token_id)
    return changes, shown, ids


def forget_lease(state: State, token_id: str | None, name: str | None) -> State:
    """State without the lease whose token `token_id` (or whose intent `name`) was deleted."""
    for lease_name, record in state.leases.items():
        if (token_id is not None and record.id == token_id) or (
            record.id is None and lease_name == name
        ):
            return state.with_lease(lease_name, None)
    return state
