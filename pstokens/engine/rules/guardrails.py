"""The `rules:` guardrails, checked against the config and against live tokens.

Pure functions over plain data, returning typed findings that render/ words:
`validate` refuses a config that breaks its own rules (each finding located
where it was written), and `plan` and `report` check every live token,
managed or not, since a token made by hand is the one most likely to break them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pstokens.config.model import Config, Rules
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import RulesBroken

if TYPE_CHECKING:  # `validate` checks rules without loading the state stores (filelock)
    from pstokens.operations import OperationsTable
    from pstokens.state.model import State

# A token created with exactly max_ttl may read back a little longer (the API
# rounds its times); a minute of slack keeps that from counting as a violation.
LIFETIME_SLACK = 60


class Rule(StrEnum):
    FORBID_ACCESSES = "forbid_accesses"
    FORBID_OPERATIONS = "forbid_operations"
    REQUIRE_TTL = "require_ttl"
    MAX_TTL = "max_ttl"
    # Not a `rules:` entry: PlanetScale reported the token leaked (engine/reading/leaks.py), and
    # pstokens does not manage it, so only a person can replace it.
    LEAKED = "leaked"


@dataclass(frozen=True)
class ConfigViolation:
    """A token in the config that breaks a rule, at the place it was written."""

    rule: Rule
    key: str
    file: str
    line: int
    column: int
    database: str | None = None  # forbid_*: where it is asked for; None: organization
    access: str | None = None  # forbid_*: the access
    ttl: int | None = None  # max_ttl: the token's ttl, seconds
    limit: int | None = None  # max_ttl: the rule's limit, seconds
    operation: str | None = None  # forbid_operations: the operation `access` allows
    possibly: bool = False  # forbid_operations: `access` is undescribed and may allow it


@dataclass(frozen=True)
class Violation:
    """A live token that breaks a rule."""

    rule: Rule
    token_id: str
    name: str | None
    key: str | None  # the managed key; None for a token pstokens does not manage
    database: str | None = None  # forbid_*: where it is held; None: organization
    access: str | None = None  # forbid_*: the access
    lifetime: int | None = None  # max_ttl: seconds from creation to expiry
    limit: int | None = None  # max_ttl: the rule's limit, seconds
    operation: str | None = None  # forbid_operations: the operation `access` allows
    # forbid_operations: `access` is not described by the API, and pstokens' own
    # table (or, without a row, its scope) says it may allow `operation`.
    possibly: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rule"] = str(self.rule)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Violation:
        return cls(
            rule=Rule(data["rule"]),
            token_id=str(data["token_id"]),
            name=data.get("name"),
            key=data.get("key"),
            database=data.get("database"),
            access=data.get("access"),
            lifetime=data.get("lifetime"),
            limit=data.get("limit"),
            operation=data.get("operation"),
            possibly=bool(data.get("possibly", False)),
        )


@dataclass(frozen=True)
class Unused:
    """A live token not used for `unused_after` (or never, and older than that)."""

    token_id: str
    name: str | None
    key: str | None
    last_used_at: datetime | None  # None: never used
    created_at: datetime | None
    unused_after: int  # seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "unused",
            "token_id": self.token_id,
            "name": self.name,
            "key": self.key,
            "last_used_at": _iso(self.last_used_at),
            "created_at": _iso(self.created_at),
            "unused_after": self.unused_after,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Unused:
        return cls(
            token_id=str(data["token_id"]),
            name=data.get("name"),
            key=data.get("key"),
            last_used_at=_moment(data.get("last_used_at")),
            created_at=_moment(data.get("created_at")),
            unused_after=int(data["unused_after"]),
        )


def plan_findings(
    config: Config,
    state: State,
    live: Mapping[str, LiveToken],
    now: datetime,
    targets: frozenset[str] = frozenset(),
    table: OperationsTable | None = None,
) -> tuple[tuple[Violation, ...], tuple[Unused, ...]]:
    """What a plan reports of `config.rules`: every live token's violations and the
    unused ones; with --target, only the targeted keys' tokens."""
    keys = managed_keys(state)
    tokens = [t for t in live.values() if not targets or keys.get(t.id) in targets]
    return (check_live(tokens, keys, config.rules, table),
            find_unused(tokens, keys, config.rules, now))


def refuse_broken_rules(config: Config) -> None:
    """Refuse a config whose tokens break its own rules: validate, plan, apply and
    the tools all start here. The error carries the findings; render words them."""
    found = check_config(config)
    if found:
        raise RulesBroken(found)


def check_config(config: Config) -> tuple[ConfigViolation, ...]:
    """Every way the config's tokens break its own rules, in file order."""
    rules = config.rules
    if rules is None:
        return ()
    found: list[ConfigViolation] = []

    def add(rule: Rule, key: str, *path: str | None, **detail: Any) -> None:
        line, column = config.spot("tokens", key, *path)
        found.append(ConfigViolation(rule, key, config.path, line, column, **detail))

    for key, spec in config.tokens.items():
        for database, names in spec.accesses.items():
            for access in sorted(names & rules.forbid_accesses):
                add(Rule.FORBID_ACCESSES, key, "accesses", database, access,
                    database=database, access=access)
            for access, operation, possibly in forbidden_operations(
                    names, rules, on_database=database is not None):
                add(Rule.FORBID_OPERATIONS, key, "accesses", database, access,
                    database=database, access=access, operation=operation, possibly=possibly)
        if spec.ttl is None and rules.require_ttl:
            add(Rule.REQUIRE_TTL, key)
        if spec.ttl is not None and rules.max_ttl is not None and spec.ttl > rules.max_ttl:
            add(Rule.MAX_TTL, key, "ttl", ttl=spec.ttl, limit=rules.max_ttl)
    return tuple(sorted(found, key=lambda v: (v.line, v.column, v.rule)))


def managed_keys(state: State) -> dict[str, str]:
    """Token ID -> the key that manages it (a retiring token counts as its key's)."""
    keys: dict[str, str] = {}
    for key, record in state.tokens.items():
        for token_id in record.retiring:
            keys[token_id] = key
        if record.id is not None:
            keys[record.id] = key
    return keys


def needs_accesses(rules: Rules | None) -> bool:
    """Whether checking `rules` needs every live token's accesses, not only the managed ones'."""
    return rules is not None and bool(rules.forbid_accesses or rules.forbid_operations)


def forbidden_operations(
    accesses: Iterable[str], rules: Rules, *, on_database: bool,
    table: OperationsTable | None = None,
) -> list[tuple[str, str, bool]]:
    """(access, operation, possibly) for each forbidden operation one of `accesses`
    (held on a database, or on the organization) allows, sorted; `possibly` when the
    access is one the API does not describe, which pstokens holds may allow it
    (`operations.undescribed`: it fails closed). An access at any level counts:
    whatever its scope, the token can perform it there."""
    if not rules.forbid_operations:
        return []
    from pstokens.operations import operations_table
    from pstokens.operations.undescribed import possibly_allowed

    table = table or operations_table()
    found: list[tuple[str, str, bool]] = []
    for access in sorted(accesses):
        sure = table.by_access.get(access)
        allowed = sure if sure is not None else possibly_allowed(access, on_database, table)
        found.extend((access, operation, sure is None)
                     for operation in sorted(allowed & rules.forbid_operations))
    return found


def check_live(
    tokens: Iterable[LiveToken], keys: Mapping[str, str], rules: Rules | None,
    table: OperationsTable | None = None,
) -> tuple[Violation, ...]:
    """Every rule each live token breaks; a token whose accesses were not read
    is checked on its times only. `table`: the operations table (the packaged
    one when not given)."""
    if rules is None:
        return ()
    found: list[Violation] = []
    for token in tokens:
        key = keys.get(token.id)
        for database, names in sorted(
            (token.accesses or {}).items(), key=lambda item: item[0] or ""
        ):
            found.extend(
                Violation(Rule.FORBID_ACCESSES, token.id, token.name, key, database, access)
                for access in sorted(names & rules.forbid_accesses)
            )
            found.extend(
                Violation(Rule.FORBID_OPERATIONS, token.id, token.name, key, database, access,
                          operation=operation, possibly=possibly)
                for access, operation, possibly in forbidden_operations(
                    names, rules, on_database=database is not None, table=table)
            )
        if token.expires_at is None:
            if rules.require_ttl:
                found.append(Violation(Rule.REQUIRE_TTL, token.id, token.name, key))
        elif rules.max_ttl is not None and token.created_at is not None:
            lifetime = int((token.expires_at - token.created_at).total_seconds())
            if lifetime > rules.max_ttl + LIFETIME_SLACK:
                found.append(Violation(
                    Rule.MAX_TTL, token.id, token.name, key, lifetime=lifetime,
                    limit=rules.max_ttl,
                ))
    return tuple(sorted(found, key=violation_order))


def find_unused(
    tokens: Iterable[LiveToken], keys: Mapping[str, str], rules: Rules | None, now: datetime
) -> tuple[Unused, ...]:
    """The live tokens unused for `rules.unused_after`: last used before then, or never
    used and created before then. A token of unknown age that was never used is not
    counted: nothing says how long it has been idle."""
    if rules is None:
        return ()
    cutoff = now - timedelta(seconds=rules.unused_after)
    found = [
        Unused(t.id, t.name, keys.get(t.id), t.last_used_at, t.created_at, rules.unused_after)
        for t in tokens
        if (t.last_used_at or t.created_at or now) <= cutoff
    ]
    return tuple(sorted(found, key=lambda u: (u.name or "", u.token_id)))


def violation_order(violation: Violation) -> tuple[str, str, str, str, str, str]:
    return (violation.name or "", violation.token_id, violation.rule,
            violation.database or "", violation.access or "", violation.operation or "")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: Any) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))
