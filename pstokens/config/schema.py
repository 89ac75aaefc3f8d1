"""The shape of pstokens.yaml: walks the YAML nodes into a `Config`.

Every rule PRODUCT.md sets for the file lives here, and every problem found is
collected with its position before anything is raised, so a user fixes the
whole file in one pass.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

import yaml

from pstokens.accesses import ALL_ACCESSES, DATABASE_ACCESSES, ORGANIZATION_ACCESSES, suggest
from pstokens.config.deliver import read_deliver, read_duration, warn_rotation
from pstokens.config.forbid import forbidden_operations
from pstokens.config.model import (
    DEFAULT_UNUSED_AFTER,
    Config,
    InvalidConfig,
    Rules,
    SourcePath,
    Spot,
    TokenSpec,
    UnmanagedPolicy,
)
from pstokens.config.nodes import Checker, Entry, is_null
from pstokens.config.notify import read_notify
from pstokens.config.policies import read_policies
from pstokens.config.wording import did_you_mean, quote
from pstokens.defaults import KEY_RULE, TOKEN_KEY
from pstokens.errors import ConfigError, Problem

TOP_KEYS = (
    "organization", "tokens", "unmanaged", "safety", "rules", "allow_unknown_accesses", "notify",
)
UNMANAGED_KEYS = ("policy", "except")
SAFETY_KEYS = ("max_delete_percent",)
RULE_KEYS = ("forbid_accesses", "forbid_operations", "require_ttl", "max_ttl", "unused_after",
             "policies")
TOKEN_KEYS = ("ttl", "rotate_after", "prevent_destroy", "accesses", "overlap",
              "retire_when_unused", "deliver")
ACCESS_KEYS = ("organization", "databases")
POLICIES: tuple[UnmanagedPolicy, ...] = ("ignore", "report", "delete")

DATABASE_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
# Organization names end up in file paths (state/<organization>.json).
ORGANIZATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
ACCESS_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")

EMPTY = "the config is empty: it needs `tokens:`, and `organization:` unless PLANETSCALE_ORG is set"


def build_config(root: yaml.Node | None, filename: str, organization: str | None) -> Config:
    """The Config in `root`, or ConfigError listing every problem in it."""
    check = Checker(filename)
    if root is None or is_null(root):
        raise ConfigError([Problem(filename, 1, 1, EMPTY)])
    top = check.mapping(
        root, "the config", "a mapping with keys such as organization and tokens", TOP_KEYS
    )
    if top is None:
        raise ConfigError(check.sorted_problems())
    allow_unknown = False
    if "allow_unknown_accesses" in top:
        allow_unknown = bool(
            check.boolean(top["allow_unknown_accesses"].value, "allow_unknown_accesses")
        )
    org = _organization(check, root, top.get("organization"), organization)
    policy, excepted = _unmanaged(check, top.get("unmanaged"))
    max_delete = _safety(check, top.get("safety"))
    spots: dict[SourcePath, Spot] = {}
    rules = _rules(check, top.get("rules"), allow_unknown, spots)
    troubled: set[str] = set()  # keys with a problem: left out of the partial config
    tokens = _tokens(check, root, top.get("tokens"), allow_unknown, spots, troubled)
    notify = read_notify(check, top.get("notify"), spots)
    config = Config(
        organization=org or "",
        tokens=tokens,
        unmanaged_policy=policy,
        unmanaged_except=excepted,
        max_delete_percent=max_delete,
        allow_unknown_accesses=allow_unknown,
        path=filename,
        warnings=tuple(check.warnings),
        rules=rules,
        notify=notify,
        spots=spots,
    )
    if check.problems:
        clean = {k: s for k, s in tokens.items() if k not in troubled}
        keys = tuple(key for place, key, *rest in (w for w in spots if len(w) >= 2)
                     if place == "tokens" and not rest and key is not None
                     and TOKEN_KEY.fullmatch(key) is not None)
        raise InvalidConfig(check.sorted_problems(), partial=replace(config, tokens=clean),
                            keys=keys)
    return config


def _organization(
    check: Checker, root: yaml.Node, entry: Entry | None, given: str | None
) -> str | None:
    if entry is None:
        if given is None:
            check.add(root, "organization is required (set it in the file or PLANETSCALE_ORG)")
        return given
    name = check.string(entry.value, "organization", "an organization name")
    if name is not None and ORGANIZATION_NAME.fullmatch(name) is None:
        check.add(
            entry.value,
            f"bad organization name {quote(name)}: use letters, digits, '-', '_' or '.'",
        )
        return None
    return name


def _unmanaged(check: Checker, entry: Entry | None) -> tuple[UnmanagedPolicy, frozenset[str]]:
    if entry is None or is_null(entry.value):
        return "report", frozenset()
    fields = check.mapping(
        entry.value, "unmanaged", "a mapping with policy and except", UNMANAGED_KEYS
    )
    if fields is None:
        return "report", frozenset()
    policy: UnmanagedPolicy = "report"
    if "policy" in fields:
        node = fields["policy"].value
        text = check.string(node, "unmanaged.policy", "one of ignore, report, delete")
        if text in POLICIES:
            policy = text
        elif text is not None:
            guess = did_you_mean(text, POLICIES)
            hint = f"did you mean {quote(guess)}?" if guess else "use ignore, report or delete"
            check.add(node, f"unknown policy {quote(text)} ({hint})")
    excepted: set[str] = set()
    if "except" in fields:
        names = check.strings(
            fields["except"].value, "unmanaged.except", "a token name or ID", "token names or IDs"
        )
        for node, name in names:
            if name.strip():
                excepted.add(name)
            else:
                check.add(node, "unmanaged.except holds an empty name")
    return policy, frozenset(excepted)


def _safety(check: Checker, entry: Entry | None) -> int:
    if entry is None or is_null(entry.value):
        return 30
    fields = check.mapping(entry.value, "safety", "a mapping with max_delete_percent", SAFETY_KEYS)
    if fields is None or "max_delete_percent" not in fields:
        return 30
    value = check.integer(fields["max_delete_percent"].value, "max_delete_percent", 0, 100)
    return 30 if value is None else value


def _rules(
    check: Checker, entry: Entry | None, allow_unknown: bool, spots: dict[SourcePath, Spot]
) -> Rules | None:
    if entry is None:
        return None
    if is_null(entry.value):
        return Rules()
    expected = ("a mapping with forbid_accesses, forbid_operations, require_ttl, max_ttl, "
                "unused_after or policies")
    fields = check.mapping(entry.value, "rules", expected, RULE_KEYS)
    if fields is None:
        return None
    for name, (_key, value) in fields.items():
        spots[("rules", name)] = _spot(value)
    forbidden: set[str] = set()
    if "forbid_accesses" in fields:
        node = fields["forbid_accesses"].value
        for item, name in check.strings(
            node, "rules.forbid_accesses", "an access name", "access names"
        ):
            if name in ALL_ACCESSES or (allow_unknown and ACCESS_NAME.fullmatch(name)):
                forbidden.add(name)
            else:
                check.add(item, _unknown_access(name, ALL_ACCESSES, allow_unknown))
    operations = forbidden_operations(check, fields.get("forbid_operations"))
    require = fields.get("require_ttl")
    unused = _duration(check, fields.get("unused_after"), "rules.unused_after")
    policies = fields.get("policies")
    files = () if policies is None else read_policies(check, check.strings(
        policies.value, "rules.policies", "a policy file", "policy files"), check.filename)
    return Rules(
        forbid_accesses=frozenset(forbidden),
        forbid_operations=operations,
        require_ttl=require is not None and bool(check.boolean(require.value, "rules.require_ttl")),
        max_ttl=_duration(check, fields.get("max_ttl"), "rules.max_ttl"),
        unused_after=DEFAULT_UNUSED_AFTER if unused is None else unused,
        policies=files,
    )


def _spot(node: yaml.Node) -> Spot:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _tokens(
    check: Checker,
    root: yaml.Node,
    entry: Entry | None,
    allow_unknown: bool,
    spots: dict[SourcePath, Spot],
    troubled: set[str],
) -> dict[str, TokenSpec]:
    if entry is None:
        check.add(root, "tokens is required (write `tokens: {}` to manage no tokens)")
        return {}
    expected = "a mapping of token keys to their settings (`tokens: {}` for none)"
    fields = check.mapping(entry.value, "tokens", expected)
    if fields is None:
        return {}
    specs: dict[str, TokenSpec] = {}
    for key, (key_node, value) in fields.items():
        before, contained = len(check.problems), check.contained
        if TOKEN_KEY.fullmatch(key) is None:
            check.add(key_node, f"bad token key {quote(key)}: {KEY_RULE}")
        spots[("tokens", key)] = _spot(key_node)
        spec = _token(check, key, value, allow_unknown, spots)
        if spec is not None:
            specs[key] = spec
        if len(check.problems) - before > check.contained - contained:
            troubled.add(key)  # a misnamed access or bad deliver: leaves the rest to check
    return specs


def _token(
    check: Checker,
    key: str,
    node: yaml.Node,
    allow_unknown: bool,
    spots: dict[SourcePath, Spot],
) -> TokenSpec | None:
    if is_null(node):
        return TokenSpec(key=key)
    where = f"token {quote(key)}"
    fields = check.mapping(
        node, where, "a mapping with ttl, rotate_after, prevent_destroy or accesses", TOKEN_KEYS
    )
    if fields is None:
        return None
    ttl = _duration(check, fields.get("ttl"), "ttl")
    if "ttl" in fields:
        spots[("tokens", key, "ttl")] = _spot(fields["ttl"].value)
    rotate_after = _duration(check, fields.get("rotate_after"), "rotate_after")
    warn_rotation(check, key, fields, ttl, rotate_after)
    prevent = fields.get("prevent_destroy")
    prevent_destroy = prevent is not None and bool(check.boolean(prevent.value, "prevent_destroy"))
    accesses: dict[str | None, frozenset[str]] = {}
    if "accesses" in fields:
        spot = _AccessSpots(spots, key)
        accesses = _accesses(check, where, fields["accesses"].value, allow_unknown, spot)
    before = len(check.problems)
    deliver = read_deliver(check, fields.get("deliver"))
    check.contained += len(check.problems) - before  # no rule reads deliver:
    return TokenSpec(
        key, accesses, ttl, rotate_after, prevent_destroy,
        overlap=_duration(check, fields.get("overlap"), "overlap"),
        retire_when_unused=_duration(check, fields.get("retire_when_unused"),
                                     "retire_when_unused"),
        deliver=deliver,
    )


_duration = read_duration  # a duration such as 90d, or a located problem


class _AccessSpots:
    """Notes where each access of one token was written."""

    def __init__(self, spots: dict[SourcePath, Spot], key: str) -> None:
        self.spots = spots
        self.key = key

    def __call__(self, database: str | None, access: str, node: yaml.Node) -> None:
        self.spots[("tokens", self.key, "accesses", database, access)] = _spot(node)


def _accesses(
    check: Checker, where: str, node: yaml.Node, allow_unknown: bool, spot: _AccessSpots
) -> dict[str | None, frozenset[str]]:
    if is_null(node):
        return {}
    expected = "a mapping with organization and databases"
    fields = check.mapping(node, f"the accesses of {where}", expected, ACCESS_KEYS)
    if fields is None:
        return {}
    accesses: dict[str | None, frozenset[str]] = {}
    if "organization" in fields:
        names = _access_list(check, fields["organization"].value, None, allow_unknown, spot)
        if names:
            accesses[None] = names
    if "databases" in fields and not is_null(fields["databases"].value):
        expected = "a mapping of database names to lists of accesses"
        databases = check.mapping(fields["databases"].value, "accesses.databases", expected)
        for database, (key_node, value) in (databases or {}).items():
            if DATABASE_NAME.fullmatch(database) is None:
                check.add(
                    key_node,
                    f"bad database name {quote(database)}: use letters, digits, '-' and '_'",
                )
                continue
            names = _access_list(check, value, database, allow_unknown, spot)
            if names:
                accesses[database] = names
    return accesses


def _access_list(
    check: Checker,
    node: yaml.Node,
    database: str | None,
    allow_unknown: bool,
    spot: _AccessSpots,
) -> frozenset[str]:
    what = "accesses.organization" if database is None else f"accesses.databases.{database}"
    known = ORGANIZATION_ACCESSES if database is None else DATABASE_ACCESSES
    good: set[str] = set()
    for item, name in check.strings(node, what, "an access name", "access names"):
        if name in known or (
            allow_unknown and name not in ALL_ACCESSES and ACCESS_NAME.fullmatch(name)
        ):
            good.add(name)
            spot(database, name, item)
            continue
        check.contained += 1
        if name in ORGANIZATION_ACCESSES:
            check.add(
                item,
                f"{quote(name)} is an organization access; list it under accesses.organization",
            )
        elif name in DATABASE_ACCESSES:
            check.add(
                item,
                f"{quote(name)} is a database access; "
                "list it under accesses.databases.<database name>",
            )
        else:
            check.add(item, _unknown_access(name, known, allow_unknown))
    return frozenset(good)


def _unknown_access(name: str, known: frozenset[str], allow_unknown: bool) -> str:
    if allow_unknown:
        return f"bad access name {quote(name)}: use lowercase letters, digits and '_'"
    guess = _guess_access(name, known)
    if guess is None:
        return (
            f"unknown access {quote(name)} (set allow_unknown_accesses: true "
            "to use a name pstokens does not know yet)"
        )
    message = f"unknown access {quote(name)} (did you mean {quote(guess)}?"
    if guess not in known:
        level = "an organization" if guess in ORGANIZATION_ACCESSES else "a database"
        message += f" it is {level} access"
    return message + ")"


def _guess_access(name: str, known: frozenset[str]) -> str | None:
    """The closest access name, preferring this level's unless another is clearly closer."""
    here, anywhere = suggest(name, known), suggest(name, ALL_ACCESSES)
    if here is None or anywhere is None or here == anywhere:
        return here or anywhere
    closer = _likeness(name, anywhere) - _likeness(name, here) > 0.05
    return anywhere if closer else here


def _likeness(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()
