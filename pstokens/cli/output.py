"""Writing to the terminal: the only place besides renderers that prints.

Colour (the renderers' click styles) reaches a terminal only, and never with
--no-color or NO_COLOR set; everything else gets plain text. Kept light (click
only): `--help`, `--version` and `validate` print through it too.
"""

from __future__ import annotations

import os
import sys

import click

from pstokens.cli.settings import no_color


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


def err(text: str, *, nl: bool = True) -> None:
    click.echo(text, err=True, nl=nl, color=_colour())


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
