"""`--format sarif` in the shell: where it applies and where it does not.

validate, plan and report print SARIF for code scanning; a config they refuse
is printed as SARIF too, or written to report's --out (then the error, exit 1),
so the upload step always has a log to show. Any other command's --format
names sarif's commands in one line instead of listing its choices.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from pstokens.cli.output import out
from pstokens.errors import ConfigError, RulesBroken
from pstokens.fileio import write_output

SARIF_COMMANDS = ("validate", "plan", "report")

F = TypeVar("F", bound=Callable[..., Any])


class FormatChoice(click.Choice[str]):
    """--format's choices, refusing `sarif` in one line where it does not apply."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        if value == "sarif" and "sarif" not in self.choices:
            command = ctx.info_name if ctx is not None else "this command"
            self.fail(f"sarif is for {_either(SARIF_COMMANDS, 'and')}; {command} prints "
                      f"{_either([str(c) for c in self.choices], 'or')}", param, ctx)
        return super().convert(value, param, ctx)


def _either(names: Sequence[str], word: str) -> str:
    return f"{', '.join(names[:-1])} {word} {names[-1]}" if len(names) > 1 else names[0]


def config_problems_as_sarif(func: F) -> F:
    """With --format sarif, a config the command refuses (its problems, or its tokens
    breaking its own rules) is printed as SARIF first."""
    return _as_sarif(func, None)


def report_problems_as_sarif(func: F) -> F:
    """As `config_problems_as_sarif`, written to the report's --out when it has one
    (plan's --out is the JSON plan, so only report's counts)."""
    return _as_sarif(func, "out_file")


def _as_sarif(func: F, out_param: str | None) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, RulesBroken) as exc:
            if kwargs.get("fmt") == "sarif":
                _refused(exc, kwargs.get(out_param) if out_param else None)
            raise

    return wrapper  # type: ignore[return-value]


def _refused(exc: ConfigError | RulesBroken, out_file: str | None) -> None:
    from pstokens.render.errors import rules_error
    from pstokens.render.sarif import render_problems_sarif

    problems = rules_error(exc).problems if isinstance(exc, RulesBroken) else exc.problems
    command = click.get_current_context().info_name or "pstokens"
    text = render_problems_sarif(command, problems)
    if out_file is None:
        out(text, nl=False)
        return
    # The refusal raised next is the error to show; an unwritable --out adds none.
    with contextlib.suppress(OSError):
        write_output(Path(out_file), text.encode())
