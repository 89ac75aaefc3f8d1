"""Writing to the terminal: the only place besides renderers that prints.

Colour (the renderers' click styles) reaches a terminal only, and never with
--no-color or NO_COLOR set; everything else gets plain text.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from pstokens.cli.settings import no_color

if TYPE_CHECKING:
    from pstokens.engine.plan import Change


def colour_off() -> bool:
    """Whether --no-color or NO_COLOR forbids colour for this run."""
    ctx = click.get_current_context(silent=True)
    obj = (ctx.find_root().obj if ctx is not None else None) or {}
    return no_color(obj, os.environ)


def _colour() -> bool | None:
    # None lets click decide: styles are kept on a terminal and stripped elsewhere.
    return False if colour_off() else None


def out(text: str = "", *, nl: bool = True) -> None:
    click.echo(text, nl=nl, color=_colour())


def err(text: str) -> None:
    click.echo(text, err=True, color=_colour())


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class LineReporter:
    """Prints one line per finished step of an apply."""

    def done(self, change: Change, message: str) -> None:
        out(f"{label(change)}: {message}")

    def failed(self, change: Change, message: str) -> None:
        err(click.style(f"{label(change)}: {message}", fg="red"))


def label(change: Change) -> str:
    who = change.key or f"{change.name or '(no name)'} [{change.token_id}]"
    if change.database is not None:
        return f"{who} on {change.database}"
    if change.action in ("grant", "revoke"):
        return f"{who} on the organization"
    return who
