"""Every key brought to its spec, and every live token accounted for: the plan's changes.

The planner's per-key phase, whole in one place. For each key of the config
or the state (within --target's scope), in order: its token is created,
replaced (`replace_cause` says why), brought to its accesses, or, once the
key left the config, deleted; what a create whose answer was lost made is
adopted or cleaned up (`lost_creates`, a rule the applier shares); then the
tokens the key replaced are kept while their overlap (and, with
retire_when_unused, their use) lasts, and deleted after (`decide_retiring`).
Live tokens no key or lease claims are unmanaged: listed, or deleted under
`unmanaged.policy: delete`. Pure: plain values in, a `Converged` value out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.destinations import Destination
from pstokens.engine.planning.plan import Action, Cause, Change, Retire
from pstokens.engine.rules.findings import Drift, DriftKind, SkipKind, Skipped, UnmanagedToken
from pstokens.engine.rules.live import CLOCK_SKEW, LiveToken
from pstokens.engine.rules.rotation import RetireWait, Retiring
from pstokens.engine.rules.verifyplan import Chooser
from pstokens.state.model import State, TokenRecord

# A token created with a ttl expires a moment after created_at + ttl.
TTL_TOLERANCE = 60
# A retiring token still in use this long after its successor was delivered is stuck.
STUCK_AFTER = timedelta(days=7)


@dataclass
class Converged:
    """The changes and findings of every key in scope, as they are made: what
    was claimed live, what drifted, what prevent_destroy skipped, what is kept
    retiring, and the live tokens nobody claims (`unmanaged`)."""

    changes: list[Change] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    retiring: list[Retiring] = field(default_factory=list)
    unmanaged: list[UnmanagedToken] = field(default_factory=list)
    default_deliver: tuple[Destination, ...] | None = None
    # Token IDs PlanetScale's audit log reports leaked (engine/reading/leaks.py).
    leaked: frozenset[str] = frozenset()
    # How each new token will be verified, one choice per distinct access map.
    verification: Chooser = field(default_factory=Chooser)


def converge(
    config: Config, state: State, live: Mapping[str, LiveToken], now: datetime, *,
    scope: Iterable[str], forced: Collection[str], targeted: bool, claimed: Iterable[str],
    leaked: frozenset[str], default_deliver: tuple[Destination, ...] | None,
    verification: Chooser,
) -> Converged:
    """Each key in `scope`, in order: created, converged or removed, its old tokens
    retired; then, unless `targeted`, the live tokens nobody claims. `forced`: the
    keys --replace names; `claimed`: the live tokens that are already someone's
    (state's, the leases)."""
    out = Converged(claimed=set(claimed), leaked=leaked, default_deliver=default_deliver,
                    verification=verification)
    for key in sorted(scope):
        record = state.tokens.get(key)
        spec = config.tokens.get(key)
        makes_token = False
        if spec is not None:
            makes_token = _converge(out, spec, record, live, now, forced=key in forced)
        elif record is not None:
            _remove(out, key, record, live)
        if record is not None and record.retiring:  # tokens it replaced, still to go
            _retire(out, key, record, live, now, spec, replacing=makes_token)
            if spec is not None:  # a removed key leaves state whole
                _retiring_gone(out, key, record, live)
    if not targeted and config.unmanaged_policy != "ignore":
        _unmanaged(out, config, live)
    return out


def _converge(
    out: Converged, spec: TokenSpec, record: TokenRecord | None,
    live: Mapping[str, LiveToken], now: datetime, *, forced: bool,
) -> bool:
    """The key's token brought to `spec`; True when the plan makes it a new token."""
    key = spec.key
    if record is None:
        _create(out, spec, None, Cause.NEW)
        return True
    if record.id is None:
        _recover(out, spec, record, live)
        return True
    token = live.get(record.id)
    if token is None:
        out.drift.append(Drift(key, record.id, DriftKind.DELETED))
        _create(out, spec, record.id, Cause.DELETED_OUTSIDE)
        return True
    cause = (Cause.LEAKED if token.id in out.leaked
             else replace_cause(spec, record, token, now, forced=forced))
    if cause is not None:
        if not spec.prevent_destroy:
            _create(out, spec, record.id, cause, previous_ttl=record.ttl)
            return True
        out.skipped.append(Skipped(key, record.id, SkipKind.REPLACE, str(cause)))
    if spec.prevent_destroy != record.prevent_destroy:
        out.changes.append(Change(
            Action.UPDATE_STATE, key, record.id,
            cause=Cause.PROTECT if spec.prevent_destroy else Cause.UNPROTECT,
        ))
    _diff_accesses(out, key, record, token, spec.accesses)
    return False


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


def same_ttl(desired: int | None, recorded: int | None) -> bool:
    if desired is None or recorded is None:
        return desired == recorded
    return abs(desired - recorded) <= TTL_TOLERANCE


def _create(
    out: Converged, spec: TokenSpec, old_id: str | None, cause: Cause,
    *, previous_ttl: int | None = None,
) -> None:
    action = Action.CREATE if old_id is None else Action.REPLACE
    # The old token goes once the new one is delivered, or `overlap` after that (a
    # leaked one at once); one deleted outside pstokens has nothing left to retire.
    retire = None
    if old_id is not None and cause is not Cause.DELETED_OUTSIDE:
        # A leaked token goes at once: no overlap, no wait for disuse.
        retire = (Retire(old_id, 0) if cause is Cause.LEAKED
                  else Retire(old_id, spec.overlap or 0, spec.retire_when_unused))
    out.changes.append(Change(
        action, spec.key, old_id, cause=cause, ttl=spec.ttl, name=spec.key,
        previous_ttl=previous_ttl if cause is Cause.TTL_CHANGED else None,
        retire=retire, deliver=out.default_deliver if spec.deliver is None else spec.deliver,
        prevent_destroy=spec.prevent_destroy, verify=out.verification(spec.accesses),
    ))
    for database, names in spec.accesses.items():
        if names:
            out.changes.append(Change(Action.GRANT, spec.key, None, database, tuple(sorted(names))))


def _recover(
    out: Converged, spec: TokenSpec, record: TokenRecord, live: Mapping[str, LiveToken]
) -> None:
    """A create whose outcome was lost: adopt what it made, or create again."""
    found = lost_creates(spec.key, record, live.values(), out.claimed)
    out.claimed.update(t.id for t in found)
    if not found:
        _create(out, spec, None, Cause.INCOMPLETE_CREATE)
        return
    _create(out, spec, found[0].id, Cause.LOST_CREATE)
    for extra in found[1:]:
        out.changes.append(
            Change(Action.DELETE, spec.key, extra.id, name=extra.name, cause=Cause.DUPLICATE)
        )


def lost_creates(
    key: str, record: TokenRecord, live: Iterable[LiveToken], claimed: Collection[str]
) -> list[LiveToken]:
    """The live tokens a lost create of `key` may have made, oldest first.

    Before each create, state records an intent: when it started, and which
    live tokens of that name were someone else's (`preexisting`). A token made
    by the lost create is one of the key's name, created no earlier than the
    intent (less clock skew), that nobody else claims: `claimed` holds IDs that
    belong to something else (state's managed tokens, or what the caller already
    matched). The planner adopts or deletes them; the applier clears what a
    retried create left behind (`applying/createstep.py`).
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


def _remove(out: Converged, key: str, record: TokenRecord,
            live: Mapping[str, LiveToken]) -> None:
    """A key gone from the config: delete its token (and any lost create's)."""
    lost = lost_creates(key, record, live.values(), out.claimed)
    out.claimed.update(t.id for t in lost)
    for token in lost:
        out.changes.append(Change(
            Action.DELETE, key, token.id, name=token.name, cause=Cause.LOST_CREATE_LEFTOVER
        ))
    exists = record.id is not None and record.id in live
    if exists and record.prevent_destroy:
        leaked = Cause.LEAKED if record.id in out.leaked else None
        out.skipped.append(Skipped(key, record.id, SkipKind.DELETE, leaked))
    elif exists:
        out.changes.append(
            Change(Action.DELETE, key, record.id, name=record.name, cause=Cause.REMOVED)
        )
    elif (record.id is not None or not lost) and not any(i in live for i in record.retiring):
        # The recorded token is gone: state forgets it, also beside a lost create's
        # leftovers (deleting those alone would leave its ID for the next plan).
        out.changes.append(
            Change(Action.DELETE, key, record.id, name=record.name, cause=Cause.ALREADY_GONE)
        )


def _diff_accesses(
    out: Converged, key: str, record: TokenRecord, token: LiveToken, desired: AccessMap
) -> None:
    actual: AccessMap = token.accesses or {}
    if desired == actual == record.accesses:
        return  # converged, the common case: nothing to compare name by name
    for database in sorted(set(desired) | set(actual), key=lambda d: d or ""):
        want = desired.get(database, frozenset())
        have = actual.get(database, frozenset())
        recorded = record.accesses.get(database, frozenset())
        for name in sorted(have - recorded):
            out.drift.append(Drift(key, token.id, DriftKind.GRANTED, database, name))
        for name in sorted(recorded - have):
            out.drift.append(Drift(key, token.id, DriftKind.REVOKED, database, name))
        if grant := tuple(sorted(want - have)):
            out.changes.append(Change(Action.GRANT, key, token.id, database, grant))
        if revoke := tuple(sorted(have - want)):
            out.changes.append(Change(Action.REVOKE, key, token.id, database, revoke))


def _retire(
    out: Converged, key: str, record: TokenRecord, live: Mapping[str, LiveToken],
    now: datetime, spec: TokenSpec | None, *, replacing: bool,
) -> None:
    """Tokens this key replaced: kept while their overlap lasts (and, with
    retire_when_unused, while PlanetScale sees them used), then deleted; a leaked
    one goes now (apply still waits for the key's new token, if it makes one)."""
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


@dataclass(frozen=True)
class RetireDecision:
    now: tuple[str, ...] = ()  # retiring without overlap (a replacement not finished)
    ended: tuple[str, ...] = ()  # overlap over, or its key left the config
    unused: tuple[str, ...] = ()  # retire_when_unused: not seen used for that long
    waiting: tuple[Retiring, ...] = ()  # kept for now: `wait` says why


def decide_retiring(
    key: str, record: TokenRecord, live: Mapping[str, LiveToken], now: datetime, *,
    overlap: int | None, replacing: bool, retire_when_unused: int | None = None,
) -> RetireDecision:
    """What to do with each live retiring token of `key`; gone ones need nothing.

    A replaced token goes in the apply that replaced it, or, with `overlap`, keeps
    working until `retire_at` (its successor's delivery plus the overlap). With
    `retire_when_unused` it goes only once PlanetScale has not seen it used for
    that long as well; one still in use 7 days after its successor was delivered
    is a stuck rotation, deleted only by `apply --force`. `overlap` and
    `retire_when_unused` are the key's (both None once the key left the config:
    everything of it goes); `replacing` says the plan makes the key a new token,
    whose delivery starts the wait of retiring tokens that have no time yet.
    """
    quiet = retire_when_unused
    at_once: list[str] = []
    ended: list[str] = []
    unused: list[str] = []
    waiting: list[Retiring] = []
    for token_id in record.retiring:
        token = live.get(token_id)
        if token is None:
            continue
        until = record.retire_at.get(token_id)
        since = record.successor_delivered_at.get(token_id)
        wait: RetireWait | None = None
        if until is None and since is None and (overlap or quiet) and replacing:
            wait = RetireWait.DELIVERY
        elif quiet and since is None and not record.delivered:
            wait = RetireWait.DELIVERY  # never judged on its use before its successor is out
        elif until is not None and overlap and now < until:
            wait = RetireWait.OVERLAP
        elif quiet and not unused_for(token.last_used_at, since, now, quiet):
            wait = RetireWait.STUCK if stuck(since, now) else RetireWait.UNUSED
        elif quiet:
            unused.append(token_id)
        elif until is None:
            at_once.append(token_id)
        else:
            ended.append(token_id)
        if wait is not None:
            used = token.last_used_at
            idle = None if used is None else max(0, int((now - used).total_seconds()))
            waiting.append(Retiring(key, token_id, until, overlap or 0, wait, quiet, used,
                                    idle, since))
    return RetireDecision(tuple(at_once), tuple(ended), tuple(unused), tuple(waiting))


def unused_for(
    last_used_at: datetime | None, successor_delivered_at: datetime | None, now: datetime,
    seconds: int,
) -> bool:
    """Whether PlanetScale has not seen a token used for `seconds`: its last use is
    more than that ago, or it was never used and its successor was delivered more
    than that ago (a successor delivered at an unknown time, by a pstokens that did
    not record it, counts as long ago)."""
    quiet = timedelta(seconds=seconds)
    if last_used_at is not None:
        return now - last_used_at > quiet
    return successor_delivered_at is None or now - successor_delivered_at > quiet


def stuck(successor_delivered_at: datetime | None, now: datetime) -> bool:
    """Still in use this long after its successor was delivered: the rotation is stuck."""
    return successor_delivered_at is not None and now - successor_delivered_at >= STUCK_AFTER


def _retiring_gone(
    out: Converged, key: str, record: TokenRecord, live: Mapping[str, LiveToken]
) -> None:
    """Retiring tokens deleted outside pstokens: drift, and state forgets them."""
    for token_id in record.retiring:
        if token_id not in live:
            out.drift.append(Drift(key, token_id, DriftKind.DELETED))
            out.changes.append(Change(Action.DELETE, key, token_id, name=record.name,
                                      cause=Cause.RETIRING_GONE))


def _unmanaged(out: Converged, config: Config, live: Mapping[str, LiveToken]) -> None:
    """Live tokens nobody claims: listed, or deleted under unmanaged.policy delete."""
    excepted = config.unmanaged_except
    for token in live.values():
        if token.id in out.claimed or token.id in excepted or (token.name or "") in excepted:
            continue
        if config.unmanaged_policy == "delete":
            out.changes.append(
                Change(Action.DELETE, None, token.id, name=token.name, cause=Cause.UNMANAGED)
            )
        else:
            out.unmanaged.append(UnmanagedToken(token.id, token.name))
