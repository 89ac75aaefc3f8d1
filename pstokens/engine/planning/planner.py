"""The planner: configuration + state + what was read in, ordered changes out.

A pure function over plain data. It reads no file, makes no call and knows no
HTTP or CLI type, so nearly all behaviour is tested with plain values. Each
change carries a typed cause; `pstokens.render` words it. When a live token is
replaced and when the ones it replaced go are `replacing.py`'s rules; the plan
being built is `builder.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.destinations import CommandDestination, Destination, DirDestination
from pstokens.engine.planning.allows import with_allows
from pstokens.engine.planning.builder import Builder
from pstokens.engine.planning.leaseplan import LeaseRule, plan_leases
from pstokens.engine.planning.plan import Action, Cause, Change, Plan, Retire
from pstokens.engine.planning.replacing import replace_cause, retire, retiring_gone
from pstokens.engine.planning.unsafe import unsafe_findings
from pstokens.engine.rules.findings import (
    NOT_CHECKED,
    Drift,
    DriftKind,
    LeakCheck,
    PlanWarning,
    SkipKind,
    Skipped,
    UnmanagedToken,
    WarningKind,
)
from pstokens.engine.rules.guardrails import (
    Rule,
    Unused,
    Violation,
    plan_findings,
    violation_order,
)
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.lost import lost_creates
from pstokens.engine.rules.rotation import expires_soon, stuck_warnings
from pstokens.engine.rules.verifyplan import Chooser
from pstokens.errors import UsageError
from pstokens.operations import OperationsTable
from pstokens.state.model import State, TokenRecord


@dataclass(frozen=True)
class PlanOptions:
    targets: frozenset[str] = frozenset()
    replace: frozenset[str] = frozenset()
    # Where the secrets of new tokens without `deliver:` go (--secrets-dir or
    # --secrets-command, resolved); the plan records them. None: apply's sink decides.
    default_deliver: tuple[Destination, ...] | None = None

    def __post_init__(self) -> None:
        """`targets` and `replace` are collections of keys: a lone string would
        be read as its characters, so it is refused; a list or set is taken."""
        for name in ("targets", "replace"):
            given: object = getattr(self, name)
            keys: frozenset[object] | None = None
            if isinstance(given, Iterable) and not isinstance(given, str | bytes):
                keys = frozenset(given)
            if keys is None or not all(isinstance(k, str) for k in keys):
                one = "write " + name + "=frozenset({" + repr(given) + "}) for one key; "
                raise UsageError(
                    f"PlanOptions {name} must be a collection of token keys, not "
                    f"{type(given).__name__} {given!r}",
                    hint=(one if isinstance(given, str) else "")
                    + f"give {name} as a set of key strings",
                )
            object.__setattr__(self, name, keys)
        given_to: object = self.default_deliver
        if given_to is not None:
            places = (tuple(given_to) if isinstance(given_to, Iterable)
                      and not isinstance(given_to, str | bytes) else None)
            if places is None or not all(
                    isinstance(p, DirDestination | CommandDestination) for p in places):
                raise UsageError(
                    f"PlanOptions default_deliver must be a collection of destinations, "
                    f"not {type(given_to).__name__} {given_to!r}",
                    hint="give default_deliver=(DirDestination(\"secrets\"),) or "
                    "CommandDestination values, or None for the default",
                )
            object.__setattr__(self, "default_deliver", places)


def make_plan(
    config: Config, state: State, live: Mapping[str, LiveToken], *, now: datetime,
    options: PlanOptions = PlanOptions(), config_digest: str | None = None,
    config_data: object = None, leaks: LeakCheck = NOT_CHECKED, table: OperationsTable,
) -> Plan:
    """Compare desired, recorded and live tokens; return the ordered plan.

    `leaks` is what the audit log said: a managed token or lease it names is
    replaced or deleted at once, an unmanaged one is a violation. `table` is the
    operations table, a value like the rest: the engine service loads it once."""
    lease_changes, leases, lease_ids = plan_leases(state, live, now, LeaseRule.of(config),
                                                   options.targets, leaks.leaked)
    out = Builder(claimed=set(state.managed_ids()) | lease_ids, leaked=leaks.leaked,
                   default_deliver=options.default_deliver, verification=Chooser(table))
    in_scope = _scope(config, state, options)
    _walk_keys(out, config, state, live, now, options, in_scope)
    unmanaged = _unmanaged(out, config, live, options)
    namesakes = _namesakes(out, live)
    violations, unused = _findings(out, config, state, live, now, options, table)
    return with_allows(Plan(
        organization=config.organization,
        lineage=state.lineage,
        serial=state.serial,
        changes=Plan.ordered([*out.changes, *lease_changes]),
        unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.name or "", u.id))),
        drift=tuple(out.drift),
        skipped=tuple(out.skipped),
        unsafe=unsafe_findings(out.changes, state, config),
        warnings=_namesake_warnings(out, namesakes)
        + _expiring(out, config, state, live, now, in_scope) + stuck_warnings(out.retiring),
        retiring=tuple(sorted(out.retiring, key=lambda r: (r.key, r.token_id))),
        violations=violations,
        unused=unused,
        leases=leases,
        targets=tuple(sorted(options.targets)),
        replace=tuple(sorted(options.replace)),
        default_deliver=options.default_deliver,
        config_digest=config_digest,
        removed=tuple(sorted(k for k in in_scope if k not in config.tokens)),
        config=config_data,
        namesakes=namesakes,
        leak_check=leaks,
    ), live, table)


def _walk_keys(
    out: Builder, config: Config, state: State, live: Mapping[str, LiveToken], now: datetime,
    options: PlanOptions, in_scope: set[str],
) -> None:
    """Each key in scope, in order: created, converged or removed, its old tokens retired."""
    for key in sorted(in_scope):
        record = state.tokens.get(key)
        spec = config.tokens.get(key)
        if spec is None:
            if record is not None:
                _remove(out, key, record, live)
        else:
            _converge(out, spec, record, live, now, forced=key in options.replace)
        if record is not None and record.retiring:  # tokens it replaced, still to go
            retire(out, key, record, live, now, spec)
            if spec is not None:  # a removed key leaves state whole
                retiring_gone(out, key, record, live)


def _unmanaged(
    out: Builder, config: Config, live: Mapping[str, LiveToken], options: PlanOptions,
) -> list[UnmanagedToken]:
    """Live tokens nobody claims: listed, or deleted under unmanaged.policy delete."""
    unmanaged: list[UnmanagedToken] = []
    if options.targets or config.unmanaged_policy == "ignore":
        return unmanaged
    for token in live.values():
        if token.id in out.claimed or _excepted(token, config):
            continue
        if config.unmanaged_policy == "delete":
            out.changes.append(
                Change(Action.DELETE, None, token.id, name=token.name, cause=Cause.UNMANAGED)
            )
        else:
            unmanaged.append(UnmanagedToken(token.id, token.name))
    return unmanaged


def _findings(
    out: Builder, config: Config, state: State, live: Mapping[str, LiveToken], now: datetime,
    options: PlanOptions, table: OperationsTable,
) -> tuple[tuple[Violation, ...], tuple[Unused, ...]]:
    """The rules' violations (leaked unmanaged tokens among them) and the unused rules."""
    violations, unused = plan_findings(config, state, live, now, options.targets, table)
    if out.leaked and not options.targets:
        violations = tuple(sorted([*violations, *_leaked_unmanaged(out, live)],
                                  key=violation_order))
    return violations, unused


def _namesake_warnings(out: Builder,
                       namesakes: dict[str, tuple[str, ...]]) -> tuple[PlanWarning, ...]:
    return tuple(
        PlanWarning(WarningKind.NAMESAKE, c.key, namesakes[c.key or ""])
        for c in Plan.ordered(c for c in out.changes
                              if c.action is Action.CREATE and c.key in namesakes)
    )


def _scope(config: Config, state: State, options: PlanOptions) -> set[str]:
    keys = set(config.tokens) | set(state.tokens)
    return keys & set(options.targets) if options.targets else keys


def _namesakes(out: Builder, live: Mapping[str, LiveToken]) -> dict[str, tuple[str, ...]]:
    """Key being created -> live tokens of that name that pstokens does not manage."""
    creates = {c.key for c in out.changes if c.action in (Action.CREATE, Action.REPLACE)}
    found: dict[str, list[str]] = {}
    for token in live.values():
        if token.name is not None and token.name in creates and token.id not in out.claimed:
            found.setdefault(token.name, []).append(token.id)
    return {key: tuple(sorted(ids)) for key, ids in found.items()}


def _converge(
    out: Builder,
    spec: TokenSpec,
    record: TokenRecord | None,
    live: Mapping[str, LiveToken],
    now: datetime,
    *,
    forced: bool,
) -> None:
    key = spec.key
    if record is None:
        _create(out, spec, None, Cause.NEW)
        return
    if record.id is None:
        _recover(out, spec, record, live)
        return
    token = live.get(record.id)
    if token is None:
        out.drift.append(Drift(key, record.id, DriftKind.DELETED))
        _create(out, spec, record.id, Cause.DELETED_OUTSIDE)
        return
    cause = (Cause.LEAKED if token.id in out.leaked
             else replace_cause(spec, record, token, now, forced=forced))
    if cause is not None:
        if not spec.prevent_destroy:
            _create(out, spec, record.id, cause, previous_ttl=record.ttl)
            return
        out.skipped.append(Skipped(key, record.id, SkipKind.REPLACE, str(cause)))
    if spec.prevent_destroy != record.prevent_destroy:
        out.changes.append(Change(
            Action.UPDATE_STATE, key, record.id,
            cause=Cause.PROTECT if spec.prevent_destroy else Cause.UNPROTECT,
        ))
    _diff_accesses(out, key, record, token, spec.accesses)


def _create(
    out: Builder, spec: TokenSpec, old_id: str | None, cause: Cause,
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
    out: Builder, spec: TokenSpec, record: TokenRecord, live: Mapping[str, LiveToken]
) -> None:
    """A create whose outcome was lost: adopt what it made, or create again."""
    found = _claim_lost(out, spec.key, record, live)
    if not found:
        _create(out, spec, None, Cause.INCOMPLETE_CREATE)
        return
    _create(out, spec, found[0].id, Cause.LOST_CREATE)
    for extra in found[1:]:
        out.changes.append(
            Change(Action.DELETE, spec.key, extra.id, name=extra.name, cause=Cause.DUPLICATE)
        )


def _claim_lost(
    out: Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken]
) -> list[LiveToken]:
    found = lost_creates(key, record, live.values(), out.claimed)
    out.claimed.update(t.id for t in found)
    return found


def _expiring(
    out: Builder, config: Config, state: State, live: Mapping[str, LiveToken],
    now: datetime, in_scope: set[str],
) -> tuple[PlanWarning, ...]:
    """Managed tokens expiring within 14 days that nothing in this plan replaces."""
    replaced = {c.key for c in out.changes if c.action is Action.REPLACE}
    found = []
    for key in sorted(in_scope & set(config.tokens) - replaced):
        record = state.tokens.get(key)
        token = live.get(record.id) if record is not None and record.id else None
        if token is not None and expires_soon(token.expires_at, now):
            found.append(PlanWarning(WarningKind.EXPIRES_SOON, key, (token.id,),
                                     expires_at=token.expires_at))
    return tuple(found)


def _remove(out: Builder, key: str, record: TokenRecord, live: Mapping[str, LiveToken]) -> None:
    """A key gone from the config: delete its token (and any lost create's)."""
    lost = _claim_lost(out, key, record, live)
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
    elif not lost and not any(i in live for i in record.retiring):
        out.changes.append(
            Change(Action.DELETE, key, record.id, name=record.name, cause=Cause.ALREADY_GONE)
        )


def _diff_accesses(
    out: Builder, key: str, record: TokenRecord, token: LiveToken, desired: AccessMap
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


def _leaked_unmanaged(out: Builder, live: Mapping[str, LiveToken]) -> list[Violation]:
    """Live tokens the audit log reports leaked that pstokens does not manage."""
    return [Violation(Rule.LEAKED, token_id, live[token_id].name, None)
            for token_id in sorted(out.leaked)
            if token_id in live and token_id not in out.claimed]


def _excepted(token: LiveToken, config: Config) -> bool:
    return token.id in config.unmanaged_except or (token.name or "") in config.unmanaged_except

