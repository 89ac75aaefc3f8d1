"""Where a new secret goes: the values a plan records for each token's destinations.

They live apart from the config and the plan because three rooms share them:
`pstokens.config` parses a token's `deliver:` (and the flags' default) into them,
the plan carries them (and a saved plan's JSON reads back into them), and
`pstokens.delivery` acts on them. Delivery so depends on these values alone,
never on the config that wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What a `command:` destination reads on stdin besides the secret alone (None):
# `env` both lines of the .env file, `json` {"id": ..., "token": ...}.
StdinForm = Literal["env", "json"]
STDIN_FORMS: tuple[StdinForm, ...] = ("env", "json")


@dataclass(frozen=True)
class CommandDestination:
    """`- command: CMD`: run through the shell, the secret alone on stdin (or, with
    `stdin:`, the token's ID and secret together)."""

    command: str
    timeout: int | None = None  # seconds; None: the default
    stdin: StdinForm | None = None


@dataclass(frozen=True)
class DirDestination:
    """`- dir: PATH`: the --secrets-dir layout under PATH."""

    path: str


Destination = CommandDestination | DirDestination
