"""Every command, and every command group, takes every global option after its name.

PRODUCT.md "Commands": global options are accepted before or after the
command. The walk covers the whole click tree, so a command added later
without `global_options` fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from pstokens.cli.main import cli as root
from pstokens.cli.settings import GLOBAL_OPTIONS
from tests.e2e.conftest import Cli, Emulator, write_config

# Each global option as a user types it: its long flag, and a value when it takes one.
TYPED = {"config": ["-c", "x.yaml"], "state": ["--state", "s.json"], "org": ["--org", "acme"],
         "api_url": ["--api-url", "http://127.0.0.1:9/v1"], "emulator": ["--emulator"],
         "parallelism": ["--parallelism", "2"], "rate_limit": ["--rate-limit", "0"],
         "lock_timeout": ["--lock-timeout", "1"], "no_color": ["--no-color"],
         "debug": ["--debug"]}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


EVERY = sorted(commands(root))


def test_the_walk_finds_the_commands_and_the_option_table_is_whole() -> None:
    assert {("show",), ("schema",), ("emulator",), ("state", "list"), ("lease", "sweep")} \
        <= set(EVERY)
    assert set(TYPED) == {decls[-1] for decls, _ in GLOBAL_OPTIONS}


@pytest.mark.parametrize("path", EVERY, ids=" ".join)
def test_every_command_takes_every_global_option_after_its_name(
    path: tuple[str, ...], cli: Cli
) -> None:
    refused = []
    for name, typed in TYPED.items():
        result = cli(*path, *typed, "--help")  # parsed in full, then --help: nothing runs
        if result.code != 0:
            refused.append((name, result.err.strip()))
    assert refused == []


def test_the_commands_the_trial_met_take_them_and_run(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  ci: {}\n")
    assert cli("plan", "--out", "s.json").code == 0
    for args in (("show", "s.json", "--no-color"), ("show", "s.json", "-c", "x"),
                 ("schema", "config", "--debug"), ("state", "--no-color", "list")):
        result = cli(*args)
        assert result.code == 0, (args, result.err)
    assert "\x1b[" not in cli("show", "s.json", "--no-color").out
