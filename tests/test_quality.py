"""The floor every change stands on: strict linters, help on every command, no stray prints."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pstokens.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    result = _run("mypy", "--no-incremental", "--cache-dir=/dev/null")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_layer_contracts_hold() -> None:
    """The package's layers and engine/'s (pure parts under acting ones), engine/
    imports no click or httpx, render/ no api/ (the contracts are in pyproject.toml)."""
    script = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(script), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=lambda v: str(v))
def test_every_command_has_help_with_text(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, f"`pstokens {name}` needs help"


def test_nothing_prints_outside_the_cli_and_renderers() -> None:
    offenders = []
    for path in (ROOT / "pstokens").rglob("*.py"):
        if path.parent.name in ("cli", "render"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# An option name cut at one of its hyphens by click's wrapping, such as "--by-\nname".
_BROKEN_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*-)\n\s*(\w)")


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize(("name", "command"), [("", cli), *_commands(cli)],
                         ids=lambda v: str(v))
def test_no_help_text_breaks_an_option_name_across_lines(
    name: str, command: click.Command, width: int
) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    assert _BROKEN_OPTION.findall(result.output) == [], result.output
