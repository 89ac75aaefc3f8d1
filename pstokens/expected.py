"""A library caller's value of the wrong kind, refused at the call that took it.

docs/python.md promises a `UsageError` naming the parameter and what it expected,
never Python's own `AttributeError` or `TypeError` from deep inside. Every layer
(config, state, delivery, api, render, engine) checks its own entry points with
these, so the words are alike everywhere. A value that may be a secret (credentials,
the environment they are read from) is named by its type only.
"""

from __future__ import annotations

import os

from pstokens.errors import UsageError

# What a file or folder argument may be.
PATH = (str, os.PathLike)


def given(value: object, *, secret: bool = False) -> str:
    """`str 'state/acme.json'`: the type and, shortened, the value a caller gave
    (the type alone when the value may be a secret)."""
    if secret:
        return type(value).__name__
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{type(value).__name__} {shown}"


def expect(value: object, kind: type | tuple[type, ...], what: str, example: str, *,
           secret: bool = False) -> None:
    """`value` is a `kind`, or UsageError: `{what} must be {example}, not ...`."""
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise UsageError(f"{what} must be {example}, not {given(value, secret=secret)}")


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
