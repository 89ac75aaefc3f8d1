"""The planner: configuration + state + what was read in, ordered changes out.

A pure function over plain data. It reads no file, makes no call and knows no
HTTP or CLI type, so nearly all behaviour is tested with plain values. Each
change carries a typed cause; `pstokens.render` words it. `make_plan` is the
recipe, in phases that each live in one place: the leases (`leaseplan`), every
key converged and every live token accounted for (`converge`), the plan's
findings (here, with the `rules:` guardrails of `rules/guardrails.py`), then
what each access change opens (`allows`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pstokens.config.model import Config
from pstokens.destinations import CommandDestination, Destination, DirDestination
from pstokens.engine.planning.allows import with_allows
from pstokens.engine.planning.converge import Converged, converge
from pstokens.engine.planning.leaseplan import LeaseRule, plan_leases
from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.engine.rules.findings import (
    NOT_CHECKED,
    LeakCheck,
    PlanWarning,
    Unsafe,
    UnsafeKind,
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
from pstokens.engine.rules.rotation import expires_soon, stuck_warnings
from pstokens.engine.rules.verifyplan import Chooser
from pstokens.errors import UsageError
from pstokens.operations import OperationsTable
from pstokens.state.model import State

# Below this many managed tokens, a share of deletes says little: no threshold.
MIN_MANAGED_FOR_THRESHOLD = 10


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
            if not places:
                raise nowhere()
            object.__setattr__(self, "default_deliver", places)

    def scope(self, keys: Iterable[str]) -> set[str]:
        """The keys this plan is about: `keys` (the config's and the state's), or
        those of them the targets name."""
        return set(keys) & self.targets if self.targets else set(keys)


def nowhere() -> UsageError:
    """A `default_deliver` that lists no destination: refused when the options are
    made, and again before a plan or apply (`planning/policy.py`)."""
    return UsageError(
        "default_deliver lists no destination, so a new token's secret would reach nobody",
        hint="give at least one DirDestination or CommandDestination, or None for "
        "the default (.pstokens/secrets)",
    )


def make_plan(
    config: Config, state: State, live: Mapping[str, LiveToken], *, now: datetime,
    options: PlanOptions = PlanOptions(), config_digest: str | None = None,
    config_data: object = None, leaks: LeakCheck = NOT_CHECKED, table: OperationsTable,
) -> Plan:
    """Compare desired, recorded and live tokens; return the ordered plan.

    `leaks` is what the audit log said: a managed token or lease it names is
    replaced or deleted at once, an unmanaged one is a violation. `table` is the
    operations table, a value like the rest: the engine service loads it once."""
    scope = options.scope(config.tokens.keys() | state.tokens.keys())
    lease_changes, leases, lease_ids = plan_leases(state, live, now, LeaseRule.of(config),
                                                   options.targets, leaks.leaked)
    keys = converge(config, state, live, now, scope=scope, forced=options.replace,
                    targeted=bool(options.targets), claimed=state.managed_ids() | lease_ids,
                    leaked=leaks.leaked, default_deliver=options.default_deliver,
                    verification=Chooser(table))
    found = _findings(config, state, live, now, keys, scope=scope, targets=options.targets,
                     table=table)
    return with_allows(Plan(
        organization=config.organization,
        lineage=state.lineage,
        serial=state.serial,
        changes=Plan.ordered([*keys.changes, *lease_changes]),
        unmanaged=tuple(sorted(keys.unmanaged, key=lambda u: (u.name or "", u.id))),
        drift=tuple(keys.drift),
        skipped=tuple(keys.skipped),
        unsafe=found.unsafe,
        warnings=found.warnings,
        retiring=tuple(sorted(keys.retiring, key=lambda r: (r.key, r.token_id))),
        violations=found.violations,
        unused=found.unused,
        leases=leases,
        targets=tuple(sorted(options.targets)),
        replace=tuple(sorted(options.replace)),
        default_deliver=options.default_deliver,
        config_digest=config_digest,
        removed=tuple(sorted(k for k in scope if k not in config.tokens)),
        config=config_data,
        namesakes=found.namesakes,
        leak_check=leaks,
    ), live, table)


@dataclass(frozen=True)
class Findings:
    """What a plan reports beside its changes."""

    violations: tuple[Violation, ...]
    unused: tuple[Unused, ...]
    unsafe: tuple[Unsafe, ...]
    warnings: tuple[PlanWarning, ...]
    # Key being created -> live tokens of that name that pstokens does not manage.
    namesakes: dict[str, tuple[str, ...]]


def _findings(
    config: Config, state: State, live: Mapping[str, LiveToken], now: datetime,
    keys: Converged, *, scope: Collection[str], targets: frozenset[str],
    table: OperationsTable,
) -> Findings:
    """The plan's findings once its keys in `scope` converged as `keys` says: the
    `rules:` violations (live tokens the audit log reports leaked that pstokens
    does not manage among them) and unused tokens, what makes it unsafe, and its
    warnings (a create beside an unmanaged namesake, a token expiring soon with
    nothing replacing it, a stuck rotation)."""
    namesakes = _namesakes(keys, live)
    warnings = (_namesake_warnings(keys.changes, namesakes)
                + _expiring(keys.changes, config, state, live, now, scope)
                + stuck_warnings(keys.retiring))
    unsafe = unsafe_findings(keys.changes, state, config)
    violations, unused = plan_findings(config, state, live, now, targets, table)
    if keys.leaked and not targets:
        violations = tuple(sorted([*violations, *_leaked_unmanaged(keys, live)],
                                  key=violation_order))
    return Findings(violations, unused, unsafe, warnings, namesakes)


def unsafe_findings(
    changes: Sequence[Change], state: State, config: Config
) -> tuple[Unsafe, ...]:
    """Why applying `changes` needs --force, decided once, at plan time: too many
    deletes (past `safety.max_delete_percent` of the managed tokens, once there
    are enough of them for a share to mean something), or the delete of an
    unmanaged token named like a key. The applier refuses such a plan itself."""
    found: list[Unsafe] = []
    managed = sum(1 for r in state.tokens.values() if r.id is not None)
    counted = [
        c for c in changes
        if c.action is Action.DELETE and c.deletes_live_token
        and c.cause not in (Cause.REPLACED, Cause.RETIRED, Cause.OVERLAP_ENDED, Cause.LEAKED,
                            Cause.NOT_USED, Cause.ROTATION_STUCK)
    ]
    deletes = len(counted)
    over = deletes * 100 > managed * config.max_delete_percent
    if managed >= MIN_MANAGED_FOR_THRESHOLD and over:
        found.append(Unsafe(UnsafeKind.TOO_MANY_DELETES, deletes=deletes, managed=managed,
                            percent=config.max_delete_percent,
                            unmanaged=sum(1 for c in counted if c.key is None)))
    # Deleting an unmanaged token named like a key is how a teammate whose state
    # predates another's apply would destroy that apply's token: never silently.
    for change in changes:
        if change.cause is Cause.UNMANAGED and change.name in config.tokens:
            found.append(Unsafe(UnsafeKind.DELETES_NAMESAKE, key=change.name,
                                token_id=change.token_id))
    return tuple(sorted(found, key=lambda u: (str(u.kind), u.key or "", u.token_id or "")))


def _namesakes(keys: Converged, live: Mapping[str, LiveToken]) -> dict[str, tuple[str, ...]]:
    """Key being created -> live tokens of that name that pstokens does not manage."""
    creates = {c.key for c in keys.changes if c.action in (Action.CREATE, Action.REPLACE)}
    found: dict[str, list[str]] = {}
    for token in live.values():
        if token.name is not None and token.name in creates and token.id not in keys.claimed:
            found.setdefault(token.name, []).append(token.id)
    return {key: tuple(sorted(ids)) for key, ids in found.items()}


def _namesake_warnings(changes: Sequence[Change],
                       namesakes: dict[str, tuple[str, ...]]) -> tuple[PlanWarning, ...]:
    return tuple(
        PlanWarning(WarningKind.NAMESAKE, c.key, namesakes[c.key or ""])
        for c in Plan.ordered(c for c in changes
                              if c.action is Action.CREATE and c.key in namesakes)
    )


def _expiring(
    changes: Sequence[Change], config: Config, state: State, live: Mapping[str, LiveToken],
    now: datetime, scope: Collection[str],
) -> tuple[PlanWarning, ...]:
    """Managed tokens expiring within 14 days that nothing in this plan replaces."""
    replaced = {c.key for c in changes if c.action is Action.REPLACE}
    found = []
    for key in sorted(set(scope) & set(config.tokens) - replaced):
        record = state.tokens.get(key)
        token = live.get(record.id) if record is not None and record.id else None
        if token is not None and expires_soon(token.expires_at, now):
            found.append(PlanWarning(WarningKind.EXPIRES_SOON, key, (token.id,),
                                     expires_at=token.expires_at))
    return tuple(found)


def _leaked_unmanaged(keys: Converged, live: Mapping[str, LiveToken]) -> list[Violation]:
    """Live tokens the audit log reports leaked that pstokens does not manage."""
    return [Violation(Rule.LEAKED, token_id, live[token_id].name, None)
            for token_id in sorted(keys.leaked)
            if token_id in live and token_id not in keys.claimed]
