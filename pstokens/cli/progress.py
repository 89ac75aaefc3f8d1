"""Progress on a terminal for long plans and applies; nothing at all elsewhere.

rich is imported only when a terminal will show it, so pipes, CI logs and
start-up time pay nothing for it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pstokens.cli.output import LineReporter
from pstokens.engine.outcome import Outcome
from pstokens.render.apply import outcome_line

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def shows_progress() -> bool:
    return sys.stdout.isatty()


@contextlib.contextmanager
def reading(organization: str) -> Iterator[None]:
    """A spinner while the organization is read."""
    if not shows_progress():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"Reading tokens and accesses of {organization}…"):
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
        self._progress.advance(self._task)


@contextlib.contextmanager
def applying(total: int, *, to_stderr: bool = False) -> Iterator[LineReporter]:
    if not shows_progress() or to_stderr:
        yield LineReporter(to_stderr=to_stderr)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("Applying"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True) as progress:
        yield ProgressReporter(progress, progress.add_task("apply", total=total))
