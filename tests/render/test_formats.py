"""One registry of output formats: every --format offers exactly its family's names,
each renderer takes what its family is given, and no command branches on a format's name."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest

from pstokens.cli.main import COMMANDS
from pstokens.render.formats import (
    APPLY_RESULT,
    FAMILIES,
    FINDINGS,
    PLAN,
    REPORT,
    SAVED_PLAN,
    WHO_CAN,
    Family,
)

CLI = Path(__file__).resolve().parents[2] / "pstokens" / "cli"

FAMILY_OF = {
    "plan": PLAN, "show": SAVED_PLAN, "report": REPORT, "validate": FINDINGS,
    "who-can": WHO_CAN, "apply": APPLY_RESULT,
}


def commands() -> dict[str, click.Command]:
    """Every command, the subcommands of groups by their full names."""
    found: dict[str, click.Command] = {}
    ctx = click.Context(click.Group())
    for name in COMMANDS:
        command = COMMANDS[name]
        found[name] = command
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                sub_command = command.get_command(ctx, sub)
                assert sub_command is not None
                found[f"{name} {sub}"] = sub_command
    return found


def format_choices(command: click.Command) -> tuple[str, ...] | None:
    for param in command.params:
        if isinstance(param, click.Option) and "--format" in param.opts:
            assert isinstance(param.type, click.Choice)
            return tuple(str(c) for c in param.type.choices)
    return None


def test_every_format_option_offers_its_familys_names() -> None:
    offered = {name: choices for name, command in commands().items()
               if (choices := format_choices(command)) is not None}
    assert offered == {name: family.names for name, family in FAMILY_OF.items()}


def test_no_command_branches_on_a_formats_name() -> None:
    chains = [f"{path.name}:{n}" for path in sorted(CLI.glob("*.py"))
              for n, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"\b(fmt|format)\s*[!=]=", line)]
    assert chains == []


@pytest.mark.parametrize("family", FAMILIES.values(), ids=list(FAMILIES))
def test_each_renderer_takes_what_its_family_is_given(family: Family[str]) -> None:
    assert len(set(family.names)) == len(family.names)
    for form in family.formats:
        assert set(form.takes) <= set(family.given), form.name
        if form.renderer is None:
            assert not form.document and not form.takes, form.name
            continue
        parameters = inspect.signature(form.function()).parameters
        assert set(form.takes) <= set(parameters), form.name
        required = {n for n, p in parameters.items() if p.default is inspect.Parameter.empty}
        assert required <= set(form.takes), form.name


def test_a_saved_plan_offers_the_plans_formats_that_need_no_config() -> None:
    assert SAVED_PLAN.names == ("text", "json", "markdown")
    assert PLAN.names == (*SAVED_PLAN.names, "sarif")
