"""The validated configuration, as plain frozen data for the planner.

`pstokens.config.load_config` builds these from `pstokens.yaml`; nothing here
reads a file or knows YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pstokens.destinations import Destination
from pstokens.errors import ConfigError, Problem

UnmanagedPolicy = Literal["ignore", "report", "delete"]

DEFAULT_UNUSED_AFTER = 90 * 86400

# Accesses of one token: database name -> access names; the key None holds
# organization-level accesses.
AccessMap = Mapping[str | None, frozenset[str]]


@dataclass(frozen=True)
class TokenSpec:
    """One desired token, identified by its config key."""

    key: str
    accesses: AccessMap = field(default_factory=dict)
    ttl: int | None = None  # seconds
    rotate_after: int | None = None  # seconds
    prevent_destroy: bool = False
    # After a replacement the old token keeps working this long (seconds).
    overlap: int | None = None
    # With it, a replaced token is deleted only once PlanetScale has not seen it used
    # for this long (seconds): see `engine/planning/converge.py`.
    retire_when_unused: int | None = None
    # Where a new secret goes; None: wherever --secrets-dir/--secrets-command say.
    deliver: tuple[Destination, ...] | None = None


@dataclass(frozen=True)
class PolicyFile:
    """A Rego policy named by `rules.policies`: its path as shown (relative to the
    working folder, joined to the config's), its text and the text's SHA-256 (what a
    saved plan records: editing a policy makes the plan stale, without the text in it)."""

    path: str
    text: str = field(repr=False, compare=False)
    sha256: str = ""

    @classmethod
    def of(cls, path: str, text: str) -> PolicyFile:
        import hashlib

        return cls(path, text, hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class Rules:
    """The guardrails under `rules:`, checked against the config and every live token."""

    forbid_accesses: frozenset[str] = frozenset()
    # Operation ids (the operations table's) that no token may be able to perform.
    forbid_operations: frozenset[str] = frozenset()
    require_ttl: bool = False
    max_ttl: int | None = None  # seconds
    unused_after: int = DEFAULT_UNUSED_AFTER  # seconds
    # Rego run on every plan (engine/rules/policies.py), in the order the config lists them.
    policies: tuple[PolicyFile, ...] = ()


class NotifyEvent(StrEnum):
    """What a `notify:` entry can be told of."""

    DRIFT = "drift"  # plan: the organization differs from the config
    VIOLATIONS = "violations"  # plan: live tokens break `rules:`
    EXPIRING = "expiring"  # plan: a managed token expires within 14 days
    LEAKED = "leaked"  # plan: the audit log reports live tokens leaked
    ROTATION_STUCK = "rotation_stuck"  # plan: a replaced token still in use after 7 days
    APPLIED = "applied"  # apply: every change went through
    APPLY_FAILED = "apply_failed"  # apply: some changes failed


NotifyFormat = Literal["json", "slack"]


@dataclass(frozen=True)
class NotifyTarget:
    """One `notify:` entry. The URL is a secret, so the config names the environment
    variable that holds it (and the one holding the signing key), never the value."""

    url_env: str
    format: NotifyFormat = "json"
    secret_env: str | None = None  # set: the body is signed with HMAC-SHA256
    events: frozenset[NotifyEvent] = frozenset(NotifyEvent)


# Where a config value was written: (line, column), both from 1. Keys are paths:
# ("tokens", KEY) the token's key, ("tokens", KEY, "ttl") its ttl value,
# ("tokens", KEY, "accesses", DATABASE or None, ACCESS) one listed access,
# ("rules", FIELD) a rule's value, ("notify", N) the Nth entry of notify (from 1).
Spot = tuple[int, int]
SourcePath = tuple[str | None, ...]


@dataclass(frozen=True)
class Config:
    organization: str
    tokens: Mapping[str, TokenSpec]
    unmanaged_policy: UnmanagedPolicy = "report"
    unmanaged_except: frozenset[str] = frozenset()
    max_delete_percent: int = 30
    allow_unknown_accesses: bool = False
    path: str = "pstokens.yaml"
    # Things that are valid but probably not meant (validate prints them, exit 0).
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    rules: Rules | None = None  # None: the config has no `rules:`
    # Who hears of a run; not what the config asks of the organization, so changing it
    # leaves a saved plan applicable.
    notify: tuple[NotifyTarget, ...] = field(default=(), compare=False)
    # Not part of what the config means: two configs that say the same compare equal.
    spots: Mapping[SourcePath, Spot] = field(default_factory=dict, compare=False, repr=False)

    def spot(self, *path: str | None) -> Spot:
        """Where `path` was written; the token's key, then (1, 1), when it was not."""
        found = self.spots.get(path)
        if found is None and len(path) > 2:
            found = self.spots.get(path[:2])
        return found or (1, 1)


class InvalidConfig(ConfigError):
    """A config with problems, and what could be read of it (`partial`: the tokens
    and rules without problems), so `validate` can check those rules too and
    report every problem at once; `keys`: every token key that is a key, its
    settings broken or not (what shell completion offers)."""

    def __init__(self, problems: list[Problem], *, partial: Config,
                 keys: tuple[str, ...] | None = None) -> None:
        super().__init__(problems)
        self.partial = partial
        self.keys = tuple(partial.tokens) if keys is None else keys
