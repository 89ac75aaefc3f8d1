"""Writing to the terminal: the only place besides renderers that prints."""

from __future__ import annotations

import sys

import click

from pstokens.engine.outcome import Outcome
from pstokens.render.apply import outcome_line


def out(text: str = "") -> None:
    click.echo(text)


def err(text: str) -> None:
    click.echo(text, err=True)


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class LineReporter:
    """Prints one line per finished step of an apply (all to stderr with `to_stderr`,
    so that stdout can carry a JSON result)."""

    def __init__(self, *, to_stderr: bool = False) -> None:
        self._to_stderr = to_stderr

    def report(self, outcome: Outcome) -> None:
        line = outcome_line(outcome)
        if outcome.failed:
            err(click.style(line, fg="red"))
        elif self._to_stderr:
            err(line)
        else:
            out(line)
