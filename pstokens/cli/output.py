"""Writing to the terminal: the only place besides renderers that prints."""

from __future__ import annotations

import sys

import click

from pstokens.engine.plan import Change


def out(text: str = "") -> None:
    click.echo(text)


def err(text: str) -> None:
    click.echo(text, err=True)


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
