"""Where a new secret goes: the values a plan records for each token's destinations.

They live apart from the config and the plan because three rooms share them:
`pstokens.config` parses a token's `deliver:` (and the flags' default) into them,
the plan carries them (and a saved plan's JSON reads back into them), and
`pstokens.delivery` acts on them. Delivery so depends on these values alone,
never on the config that wrote them.

A value that could never deliver (an empty command or folder, a null
character, which no shell or file system takes, an unknown `stdin` form, a
timeout that is not a positive number of seconds) is refused when it is made,
with `InvalidDestination`, so that every way in (config, flags, a saved
plan, a library caller) is refused before a token exists, never mid-apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pstokens.errors import InvalidDestination

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

    def __post_init__(self) -> None:
        _text(self.command, "command", "the shell command that reads the secret on stdin")
        if self.timeout is not None and (
                isinstance(self.timeout, bool) or not isinstance(self.timeout, int)
                or self.timeout <= 0):
            raise InvalidDestination(f"command timeout {self.timeout!r} is not a positive "
                                     "number of seconds", hint="give seconds, or None")
        if self.stdin is not None and self.stdin not in STDIN_FORMS:
            raise InvalidDestination(f"unknown command stdin {self.stdin!r}",
                                     hint=f"use {' or '.join(STDIN_FORMS)}, or None for "
                                     "the secret alone")


@dataclass(frozen=True)
class DirDestination:
    """`- dir: PATH`: the --secrets-dir layout under PATH."""

    path: str

    def __post_init__(self) -> None:
        _text(self.path, "dir", "the folder that receives <organization>/<key>.env")
        _written_out(self.path)


def _text(value: object, what: str, wanted: str) -> None:
    """A command or folder: a string with something in it and no null character."""
    if not isinstance(value, str):
        raise InvalidDestination(f"{what} must be a string, not {type(value).__name__}",
                                 hint=f"give {wanted}")
    if not value.strip():
        raise InvalidDestination(f"{what} is empty", hint=f"give {wanted}")
    if "\0" in value:
        raise InvalidDestination(f"{what} holds a null character, which no shell or file "
                                 "system accepts", hint=f"give {wanted} without it")


# What a shell would expand, and pstokens does not: `$NAME`, `${...}` (closed or
# not), `$(...)`, `$1`, `$$`, `$@` and the other special parameters, and backticks.
ENV_REFERENCE = re.compile(r"\$(?:\{[^}]*\}?|\(|[A-Za-z_][A-Za-z0-9_]*|[0-9$@?*#!-])|`")
NOT_EXPANDED = ("pstokens does not expand `~` or environment variables: write the path "
                "out")


def _written_out(path: str) -> None:
    """A folder whose first component starts with `~`, or holding `$NAME`, would be
    made literally (a folder called `~` or `$HOME` in the current one): refused."""
    if path.startswith("~"):
        raise InvalidDestination(f"it starts with `~`; {NOT_EXPANDED}",
                                 hint="give the folder's full path (`./~name` for a folder "
                                 "really called so)")
    if found := ENV_REFERENCE.search(path):
        raise InvalidDestination(f"it holds {found.group()}; {NOT_EXPANDED}",
                                 hint="give the folder's full path")


Destination = CommandDestination | DirDestination
