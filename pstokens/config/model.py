"""The validated configuration, as plain frozen data for the planner.

`pstokens.config.load_config` builds these from `pstokens.yaml`; nothing here
reads a file or knows YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pstokens.errors import Problem

UnmanagedPolicy = Literal["ignore", "report", "delete"]

# Accesses of one token: database name -> access names; the key None holds
# organization-level accesses.
AccessMap = Mapping[str | None, frozenset[str]]


@dataclass(frozen=True)
class CommandDestination:
    """`- command: CMD`: run through the shell, the secret alone on stdin."""

    command: str
    timeout: int | None = None  # seconds; None: the default


@dataclass(frozen=True)
class DirDestination:
    """`- dir: PATH`: the --secrets-dir layout under PATH."""

    path: str


Destination = CommandDestination | DirDestination


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
    # Where a new secret goes; None: wherever --secrets-dir/--secrets-command say.
    deliver: tuple[Destination, ...] | None = None


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
