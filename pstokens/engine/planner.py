"""The planner: configuration + state + what was read in, ordered changes out.

A pure function over plain data. It reads no file, makes no call and knows no
HTTP or CLI type, so nearly all behaviour is tested with plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.engine.live import LiveToken
from pstokens.engine.plan import Action, Change, Drift, Plan, Skipped, UnmanagedToken
from pstokens.state.model import State, TokenRecord

# A lost create is matched to a live token of the same name created no earlier
# than this before the intent was recorded (clock skew between us and the API).
CLOCK_SKEW = timedelta(minutes=5)
# A token created with a ttl expires a moment after created_at + ttl.
TTL_TOLERANCE = 60
MIN_MANAGED_FOR_THRESHOLD = 10
# The reason on the delete of a token a replacement made redundant.
REPLACED = "replaced by a new token"
# Reasons saying the token is already gone: apply changes state, and calls nothing.
DELETED_OUTSIDE = "deleted outside pstokens"
ALREADY_GONE = "removed from the configuration; already gone, only state changes"


@dataclass(frozen=True)
class PlanOptions:
    targets: frozenset[str] = frozenset()
    replace: frozenset[str] = frozenset()


@dataclass
class _Builder:
    changes: list[Change] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)


def make_plan(
    config: Config,
    state: State,
    live: Mapping[str, LiveToken],
    *,
    now: datetime,
    options: PlanOptions = PlanOptions(),
) -> Plan:
    """Compare desired, recorded and live tokens; return the ordered plan."""
    out = _Builder(claimed=set(state.managed_ids()))
    in_scope = _scope(config, state, options)

    for key in sorted(in_scope):
        record = state.tokens.get(key)
        spec = config.tokens.get(key)
        if record is not None:
            _retire(out, key, record, live)
        if spec is None:
            if record is not None:
                _remove(out, key, record, live)
        else:
            _converge(out, spec, record, live, now, forced=key in options.replace)

    unmanaged: list[UnmanagedToken] = []
    if not options.targets and config.unmanaged_policy != "ignore":
        for token in live.values():
            if token.id in out.claimed or _excepted(token, config):
                continue
            if config.unmanaged_policy == "delete":
                out.changes.append(
                    Change(Action.DELETE, None, token.id, name=token.name,
                           reason="unmanaged, and unmanaged.policy is delete")
                )
            else:
                unmanaged.append(UnmanagedToken(token.id, token.name))

    creates = {c.key for c in out.changes if c.action in (Action.CREATE, Action.REPLACE)}
    namesakes: dict[str, list[str]] = {}
    for token in live.values():
        if token.name is not None and token.name in creates and token.id not in out.claimed:
            namesakes.setdefault(token.name, []).append(token.id)

    return Plan(
        organization=config.organization,
        lineage=state.lineage,
        serial=state.serial,
        changes=Plan.ordered(out.changes),
        unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.name or "", u.id))),
        drift=tuple(out.drift),
        skipped=tuple(out.skipped),
        unsafe=_unsafe(out.changes, state, config),
        namesakes={key: tuple(sorted(ids)) for key, ids in namesakes.items()},
    )


def _scope(config: Config, state: State, options: PlanOptions) -> set[str]:
    keys = set(config.tokens) | set(state.tokens)
    return keys & set(options.targets) if options.targets else keys


def _converge(
    out: _Builder,
    spec: TokenSpec,
    record: TokenRecord | None,
    live: Mapping[str, LiveToken],
    now: datetime,
    *,
    forced: bool,
) -> None:
    key = spec.key
    if record is None:
        _create(out, spec, None, reason=None)
        return
    if record.id is None:
        _recover(out, spec, record, live)
        return
    token = live.get(record.id)
    if token is None:
        out.drift.append(Drift(key, record.id, "token was deleted outside pstokens"))
        _create(out, spec, record.id, reason=DELETED_OUTSIDE)
        return
    reason = _replace_reason(spec, record, token, now, forced=forced)
    if reason is not None:
        if not spec.prevent_destroy:
            _create(out, spec, record.id, reason=reason)
            return
        out.skipped.append(
            Skipped(key, record.id, f"replacement ({reason}) skipped: prevent_destroy is set")
        )
    _diff_accesses(out, key, record, token, spec.accesses)


def _replace_reason(
    spec: TokenSpec, record: TokenRecord, token: LiveToken, now: datetime, *, forced: bool
) -> str | None:
    if not record.delivered:
        return "secret was never delivered"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    if not _same_ttl(spec.ttl, record.ttl):
        return f"ttl changed ({_fmt(record.ttl)} -> {_fmt(spec.ttl)})"
    created = token.created_at or record.created_at
    rotate_after = None if spec.rotate_after is None else timedelta(seconds=spec.rotate_after)
    if rotate_after is not None and created is not None and now - created >= rotate_after:
        return "rotate_after reached"
    if forced:
        return "--replace"
    return None


def _create(out: _Builder, spec: TokenSpec, old_id: str | None, *, reason: str | None) -> None:
    action = Action.CREATE if old_id is None else Action.REPLACE
    out.changes.append(Change(action, spec.key, old_id, reason=reason, ttl=spec.ttl, name=spec.key))
    for database, names in spec.accesses.items():
        if names:
            out.changes.append(Change(Action.GRANT, spec.key, None, database, tuple(sorted(names))))


def _recover(
    out: _Builder, spec: TokenSpec, record: TokenRecord, live: Mapping[str, LiveToken]
) -> None:
    """A create whose outcome was lost: adopt what it made, or create again."""
    found = _lost_creates(out, spec.key, record, live)
    if not found:
        _create(out, spec, None, reason="an earlier create did not complete")
        return
    _create(out, spec, found[0].id, reason="secret never delivered (a create's answer was lost)")
    for extra in found[1:]:
        out.changes.append(
            Change(Action.DELETE, spec.key, extra.id, name=extra.name,
                   reason="duplicate left by a lost create")
        )


def _lost_creates(
    out: _Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken]
) -> list[LiveToken]:
    if record.pending_since is None:
        return []
    since = record.pending_since - CLOCK_SKEW
    found = sorted(
        (
            t for t in live.values()
            if t.name == key and t.id not in out.claimed and t.id not in record.preexisting
            and (t.created_at is None or t.created_at >= since)
        ),
        key=lambda t: (t.created_at is None, t.created_at, t.id),
    )
    out.claimed.update(t.id for t in found)
    return found


def _retire(out: _Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken]) -> None:
    for token_id in record.retiring:
        if token_id in live:
            out.changes.append(
                Change(Action.DELETE, key, token_id, name=record.name, reason=REPLACED)
            )


def _remove(out: _Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken]) -> None:
    """A key gone from the config: delete its token (and any lost create's)."""
    lost = _lost_creates(out, key, record, live)
    for token in lost:
        out.changes.append(
            Change(Action.DELETE, key, token.id, name=token.name, reason="left by a lost create")
        )
    exists = record.id is not None and record.id in live
    if exists and record.prevent_destroy:
        out.skipped.append(
            Skipped(key, record.id, "delete skipped: prevent_destroy was set when last applied")
        )
    elif exists:
        out.changes.append(
            Change(Action.DELETE, key, record.id, name=record.name,
                   reason="removed from the configuration")
        )
    elif not lost and not any(i in live for i in record.retiring):
        out.changes.append(
            Change(Action.DELETE, key, record.id, name=record.name, reason=ALREADY_GONE)
        )


def _diff_accesses(
    out: _Builder, key: str, record: TokenRecord, token: LiveToken, desired: AccessMap
) -> None:
    actual: AccessMap = token.accesses or {}
    if desired == actual == record.accesses:
        return  # converged, the common case: nothing to compare name by name
    for database in sorted(set(desired) | set(actual), key=lambda d: d or ""):
        want = desired.get(database, frozenset())
        have = actual.get(database, frozenset())
        recorded = record.accesses.get(database, frozenset())
        where = "the organization" if database is None else f"database {database}"
        for name in sorted(have - recorded):
            out.drift.append(Drift(key, token.id, f"{name} on {where} granted outside pstokens"))
        for name in sorted(recorded - have):
            out.drift.append(Drift(key, token.id, f"{name} on {where} revoked outside pstokens"))
        if grant := tuple(sorted(want - have)):
            out.changes.append(Change(Action.GRANT, key, token.id, database, grant))
        if revoke := tuple(sorted(have - want)):
            out.changes.append(Change(Action.REVOKE, key, token.id, database, revoke))


def _excepted(token: LiveToken, config: Config) -> bool:
    return token.id in config.unmanaged_except or (token.name or "") in config.unmanaged_except


def _unsafe(changes: list[Change], state: State, config: Config) -> str | None:
    managed = sum(1 for r in state.tokens.values() if r.id is not None)
    deletes = sum(
        1 for c in changes
        if c.action is Action.DELETE and c.token_id is not None
        and c.reason != REPLACED
    )
    if managed < MIN_MANAGED_FOR_THRESHOLD or deletes * 100 <= managed * config.max_delete_percent:
        return None
    return (
        f"the plan deletes {deletes} of {managed} managed tokens, more than "
        f"safety.max_delete_percent ({config.max_delete_percent}%)"
    )


def _same_ttl(desired: int | None, recorded: int | None) -> bool:
    if desired is None or recorded is None:
        return desired == recorded
    return abs(desired - recorded) <= TTL_TOLERANCE


def _fmt(seconds: int | None) -> str:
    if seconds is None:
        return "none"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
