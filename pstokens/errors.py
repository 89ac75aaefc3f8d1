"""Every error pstokens raises, drawn in one tree; the only ones the CLI turns into exit codes.

Most are defined here; the rest live beside the code that raises them (the
module is named on the right) and all are importable from `pstokens` itself.
`tests/test_error_tree.py` fails when a subclass is missing from this drawing;
`pstokens.adapters.errors` maps each one to an HTTP status and code and to an
MCP tool error.

    PstokensError                 message + hint, shown as one sentence on stderr (exit 1)
    ├── UsageError                a bad option, argument or combination of them; nothing done
    │   └── InvalidDestination    a secret destination that could never deliver (raised when made)
    ├── ConfigFileError           a config file that cannot be read, or names another organization
    ├── ConfigError               every problem in a config, each FILE:LINE:COL
    │   └── InvalidConfig         (config.model) ... and what could be read of it, for validate
    ├── RulesBroken               a config whose tokens break its own `rules:`
    ├── StateError                a state file that cannot be used
    │   ├── DamagedState          one that cannot be read at all (`state push --force`)
    │   └── StateEditRefused      a `state`/`import` edit that would lose or clash with a record
    ├── LockHeld                  another run holds the state lock
    ├── PlanError                 a plan that must not run
    │   ├── StalePlan             a saved plan whose world has moved on
    │   ├── UnsafePlan            too many deletes without --force
    │   └── PolicyDenied          a plan a `rules.policies` deny forbids (no --force)
    ├── ApplyInterrupted          (engine.outcome) Ctrl-C stopped apply (exit 130)
    ├── SecretDeliveryError       a new secret could not be delivered
    ├── UnverifiedToken           (engine.verify) a new token failed its verification call
    ├── LeaseError                (engine.lease) exec's short-lived token could not be made
    ├── CommandNotStarted         (engine.child) exec's COMMAND did not start (exit 126/127)
    ├── UnknownName               (engine.whocan) an operation or database nobody knows
    ├── TableError                (operations) the operations table could not be read
    ├── OutputError               a report, calendar or other output file could not be written
    ├── ServeError                `pstokens serve` or the emulator cannot start
    ├── Refused                   (engine.writeguard) a REST/MCP write pstokens refuses
    │   └── StateLocked           (engine.writeguard) ... because a run holds the state lock
    ├── MissingCredentials        (api.auth) no PlanetScale credentials
    ├── InvalidCredentials        (api.auth) a credential that cannot go into a header
    └── ApiError                  (api.errors) anything the API answered, or did not
        ├── PermanentApiError     never retried (the retry table says FAIL)
        │   ├── Unauthorized      401: credentials missing or wrong
        │   ├── Forbidden         403: credentials lack an access
        │   ├── NotFound          404: missing, or not visible to these credentials
        │   ├── InvalidRequest    400 / 422: the request itself is wrong
        │   ├── PermanentServerError  501, 505 and the other 5xx not worth resending
        │   └── UnexpectedStatus  any other status (a redirect, 409, 410 ...)
        ├── TransientApiError     retried with backoff (RETRY); raised once retries run out
        │   ├── RateLimited       429
        │   ├── ServerError       500, 502, 503, 504
        │   └── ConnectionFailed  the request failed on the network
        └── OutcomeUnknown        a write whose answer was lost: it may have happened
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


class UsageError(PstokensError):
    """A bad option or argument, or options that cannot go together: nothing was done."""


class InvalidDestination(UsageError):
    """A `command:` or `dir:` destination that could never deliver (empty, a null
    character, an unknown `stdin`): refused when made, before any token exists."""


class ConfigFileError(PstokensError):
    """A config file that is missing or unreadable, or that names another organization
    than --org: there is no config to check, so no FILE:LINE:COL."""


class OutputError(PstokensError):
    """An output file (a report, a calendar) that could not be written."""


class ServeError(PstokensError):
    """`pstokens serve` or `pstokens emulator` cannot start: no serve token, a port
    taken, an adapter that did not come up."""


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


class StateEditRefused(StateError):
    """A `state rm`/`mv`/`show`/`push` or `import` that names a key state lacks, or
    would overwrite or duplicate a record: state is left as it was."""


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


class PolicyDenied(PlanError):
    """A plan that a `rules.policies` policy denies: apply refuses it before any write,
    and --force does not override it. `findings` holds the denies (typed)."""

    def __init__(self, message: str, hint: str | None = None,
                 findings: Sequence[object] = ()) -> None:
        super().__init__(message, hint)
        self.findings = tuple(findings)


class SecretDeliveryError(PstokensError):
    """A new token's secret could not be delivered to its destination."""
