"""Global options taken before or after the command, and their environment variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from filelock import FileLock

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = "organization: acme\ntokens:\n  deployer: {}\n"


@pytest.mark.parametrize("args", [
    ("--lock-timeout", "5", "plan"),
    ("plan", "--lock-timeout", "5"),
    ("--lock-timeout", "0.5", "import", "--by-name"),
    ("export", "--lock-timeout", "1"),
], ids=" ".join)
def test_lock_timeout_is_taken_before_or_after_any_command(
    cli: Cli, emulator: Emulator, workdir: Path, args: tuple[str, ...]
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.store.create_token("acme", "deployer")  # so import --by-name has one to import
    result = cli(*args)
    assert result.code == 0, result.both


def test_a_lock_timeout_before_the_command_still_ends_when_the_lock_stays_held(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    (workdir / "state").mkdir()
    with FileLock(workdir / "state" / "acme.json.lock"):
        result = cli("--lock-timeout", "0.05", "plan")
    assert result.code == 1
    assert "is locked" in result.err


def test_the_lock_timeout_comes_from_the_environment_and_bad_values_are_refused(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    monkeypatch.setenv("PSTOKENS_LOCK_TIMEOUT", "soon")
    result = cli("plan")
    assert result.code == 1
    assert "--lock-timeout must be a number of seconds, not 'soon'" in result.err
    assert emulator.stats()["total"] == 0
    monkeypatch.setenv("PSTOKENS_LOCK_TIMEOUT", "2")
    assert cli("plan").code == 0
    negative = cli("--lock-timeout", "-1", "plan")
    assert negative.code == 1 and "0 or more" in negative.err


def test_no_color_is_taken_before_or_after_the_command(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    for args in (("--no-color", "plan", "--format", "json"),
                 ("plan", "--no-color", "--format", "json")):
        result = cli(*args)
        assert result.code == 0, result.both
        assert json.loads(result.out)["summary"]["create"] == 1
