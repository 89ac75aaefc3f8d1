"""A folder written with `~` or `$NAME` is refused before any token: pstokens
expands neither, and used to create folders called `~` and `$HOME` in the
current one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.destinations import DirDestination
from pstokens.errors import InvalidDestination
from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
    accesses:
      organization: [read_databases]
    deliver:
      - dir: {dir}
"""
UNEXPANDED = ["~/x", "'~'", "~alice/x", '"$HOME/x"', '"out/${TEAM}/x"', '"a/$b"']


@pytest.mark.parametrize("folder", UNEXPANDED)
def test_validate_and_apply_refuse_a_dir_with_tilde_or_a_variable(
    cli: Cli, emulator: Emulator, workdir: Path, folder: str
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(dir=folder))
    for args in (("validate",), ("apply", "--auto-approve")):
        result = cli(*args)
        assert result.code == 1, result.both
        assert "pstokens.yaml:7:14: bad folder" in result.err, result.err
        assert ("pstokens does not expand `~` or environment variables: write the path out"
                in result.err)
    assert emulator.tokens() == []
    assert sorted(p.name for p in workdir.iterdir()) == ["pstokens.yaml"]


@pytest.mark.parametrize("folder", ["~/x", "$HOME/x", "${HOME}"])
def test_secrets_dir_with_tilde_or_a_variable_is_refused(
    cli: Cli, emulator: Emulator, workdir: Path, folder: str
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(dir="out").replace(
        "    deliver:\n      - dir: out\n", ""))
    for command in ("plan", "apply"):
        result = cli(command, "--secrets-dir", folder)
        assert result.code == 1, result.both
        assert f'--secrets-dir "{folder}"' in result.err
        assert "pstokens does not expand `~` or environment variables" in result.err
    assert emulator.tokens() == []
    assert sorted(p.name for p in workdir.iterdir()) == ["pstokens.yaml"]


@pytest.mark.parametrize("folder", ["./~x", "a~b", "price$", "a$.b", "/srv/secrets"])
def test_a_folder_merely_holding_tilde_or_a_dollar_is_taken(folder: str) -> None:
    assert DirDestination(folder).path == folder


@pytest.mark.parametrize("folder", ["a/$1", "$$/x", "$@", "${X", "$(whoami)/x", "`id`/x"])
def test_what_else_a_shell_would_expand_is_refused(folder: str) -> None:
    """The fourth trial: special parameters, command substitution and an unclosed
    brace were made literally."""
    with pytest.raises(InvalidDestination, match="does not expand"):
        DirDestination(folder)


def test_the_library_refuses_an_unexpanded_folder_too() -> None:
    with pytest.raises(InvalidDestination, match="does not expand"):
        DirDestination("~/secrets")
