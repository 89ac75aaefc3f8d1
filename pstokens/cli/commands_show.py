"""`show PLANFILE`: a saved plan rendered for a reviewer or a pull request comment."""

from __future__ import annotations

from pathlib import Path

import click

from pstokens.cli.output import out
from pstokens.cli.planfile import load_plan
from pstokens.cli.sarif import FormatChoice
from pstokens.cli.settings import standalone_options
from pstokens.render.formats import SAVED_PLAN


@click.command("show")
@standalone_options
@click.argument("planfile", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FormatChoice(SAVED_PLAN.names), default="text",
              show_default=True, help="How to print the plan.")
def show_command(planfile: str, fmt: str) -> None:
    """Print a plan saved by `plan --out`, as text, JSON or Markdown.

    Needs no config, state or API: it reads only PLANFILE.

    Example: pstokens show plan.json --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    plan = load_plan(Path(planfile))
    out(SAVED_PLAN.render(fmt, plan=plan), nl=SAVED_PLAN[fmt].newline)
