"""The errors pstokens raises, and the only ones the CLI turns into exit codes.

    PstokensError                 message + hint, shown as one sentence on stderr
    ├── ConfigError               every problem in a config, each FILE:LINE:COL
    ├── RulesBroken               a config whose tokens break its own `rules:`
    ├── StateError                a state file that cannot be used
    │   └── DamagedState          one that cannot be read at all (`state push --force`)
    ├── LockHeld                  another run holds the state lock
    ├── PlanError                 a plan that must not run
    │   ├── StalePlan             a saved plan whose world has moved on
    │   └── UnsafePlan            too many deletes without --force
    ├── SecretDeliveryError       a new secret could not be delivered
    └── ApiError                  (pstokens.api.errors) anything the API answered
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class PstokensError(Exception):
    """Base of every error pstokens reports to a user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located to the character."""

    file: str
    line: int
    column: int
    message: str
    # The `rules:` entry a config breaks (e.g. "max_ttl"), for SARIF's rule IDs; None:
    # anything else wrong in the file.
    rule: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(PstokensError):
    """A config with one or more problems; all of them are reported at once."""

    def __init__(self, problems: Sequence[Problem], hint: str | None = None) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__("\n".join([header + ":", *(str(p) for p in self.problems)]), hint)


class RulesBroken(PstokensError):
    """A config whose tokens break its own `rules:`. The engine decides and hands
    the typed findings over; `pstokens.render.errors` words each one, located."""

    def __init__(self, findings: Sequence[object]) -> None:
        self.findings = tuple(findings)
        count = len(self.findings)
        super().__init__(
            f"the configuration breaks its own rules ({count} finding{'s' if count != 1 else ''})",
            hint="change the token, or the rule it breaks",
        )


class StateError(PstokensError):
    """A state file that is corrupt, of another organization, or too new."""


class DamagedState(StateError):
    """A state that cannot be read at all (not JSON, not a state, damaged): only
    `state push --force` may replace it."""


class LockHeld(PstokensError):
    """Another pstokens run holds the lock on this state file."""


class PlanError(PstokensError):
    """A plan that cannot or must not be applied."""


class StalePlan(PlanError):
    """A saved plan whose state, config or organization changed since it was made.

    `moved` holds what changed, typed (`pstokens.engine.planning.stale`); `render.errors`
    words it down to the token, access or config field."""

    def __init__(self, message: str, hint: str | None = None,
                 moved: Sequence[object] = ()) -> None:
        super().__init__(message, hint)
        self.moved = tuple(moved)


class UnsafePlan(PlanError):
    """A plan that deletes more than the safety threshold allows."""


class SecretDeliveryError(PstokensError):
    """A new token's secret could not be delivered to its destination."""
