"""Progress on a terminal for long plans and applies; nothing at all elsewhere.

rich is imported only when a terminal will show it, so pipes, CI logs and
start-up time pay nothing for it. It draws without colour under --no-color or
NO_COLOR, like everything else pstokens prints.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from pstokens.cli.output import colour_off, err, out
from pstokens.engine.planning.outcome import Outcome, is_step
from pstokens.render.apply import outcome_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID


def shows_progress() -> bool:
    return sys.stdout.isatty()


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    if colour_off():
        return Console(stderr=stderr, color_system=None, no_color=True)
    return Console(stderr=stderr)


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


@contextlib.contextmanager
def reading(organization: str) -> Iterator[None]:
    """A spinner while the organization is read."""
    if not shows_progress():
        yield
        return
    with _console(stderr=True).status(f"Reading tokens and accesses of {organization}…"):
        yield


class ProgressReporter(LineReporter):
    """Step lines above a live bar counting the plan's changes."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def report(self, outcome: Outcome) -> None:
        style = "red" if outcome.failed else None
        self._progress.console.print(outcome_line(outcome), style=style, markup=False,
                                     highlight=False)
        if is_step(outcome):  # the bar counts the plan's changes, as its total does
            self._progress.advance(self._task)


@contextlib.contextmanager
def applying(total: int, *, to_stderr: bool = False) -> Iterator[LineReporter]:
    if not shows_progress() or to_stderr:
        yield LineReporter(to_stderr=to_stderr)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("Applying"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=_console(stderr=False), transient=True) as progress:
        yield ProgressReporter(progress, progress.add_task("apply", total=total))
