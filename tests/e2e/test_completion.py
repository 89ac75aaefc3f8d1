"""Tab completion through click's own mechanism (`_PSTOKENS_COMPLETE`), as a shell
calls it: commands, options, and the config's keys after --target and --replace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PSTOKENS = Path(sys.executable).parent / "pstokens"
CONFIG = "organization: acme\ntokens:\n  ci: {}\n  cd-deploy: {}\n  web:\n"
OTHER = "tokens:\n  reader: {}\n  Broken: 12\n"  # no organization, a broken token: what it can


def complete(cwd: Path, line: str, shell: str = "bash", **env: str) -> list[str]:
    """What Tab offers after `line` (a trailing space: a new word), as the shell gets it."""
    words = line.split()
    variables = {k: v for k, v in os.environ.items() if not k.startswith("PSTOKENS_")}
    current = "" if line.endswith(" ") else words[-1]
    variables |= {"_PSTOKENS_COMPLETE": f"{shell}_complete", "COMP_WORDS": line,
                  "COMP_CWORD": str(len(words) if line.endswith(" ") else len(words) - 1)}
    if shell == "fish":  # fish passes the word being completed itself
        variables["COMP_CWORD"] = current
    done = subprocess.run([str(PSTOKENS)], cwd=cwd, env=variables | env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    if shell == "zsh":  # type, value and help, a line each
        return [item for item in done.stdout.splitlines() if item]
    return [item.split(",", 1)[1] for item in done.stdout.splitlines() if item]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pstokens.yaml").write_text(CONFIG)
    (tmp_path / "other.yaml").write_text(OTHER)
    return tmp_path


def test_commands_and_options_complete(folder: Path) -> None:
    assert complete(folder, "pstokens pl") == ["plan"]
    assert "schema" in complete(folder, "pstokens ")
    assert complete(folder, "pstokens plan --rep") == ["--replace"]
    assert complete(folder, "pstokens schema ") == ["config", "plan"]


def test_the_configs_keys_complete_after_target_and_replace(folder: Path) -> None:
    assert complete(folder, "pstokens plan --target ") == ["cd-deploy", "ci", "web"]
    assert complete(folder, "pstokens apply --replace c") == ["cd-deploy", "ci"]
    # The config -c names, before or after the command, or PSTOKENS_CONFIG names; a
    # broken one offers the keys it could read.
    assert complete(folder, "pstokens -c other.yaml plan --target ") == ["reader"]
    assert complete(folder, "pstokens plan -c other.yaml --replace ") == ["reader"]
    assert complete(folder, "pstokens plan --target ", PSTOKENS_CONFIG="other.yaml") == [
        "reader"]


def test_no_config_offers_nothing_and_never_a_traceback(folder: Path) -> None:
    (folder / "bad.yaml").write_bytes(b"\xff\xfe: [")
    assert complete(folder, "pstokens -c nowhere.yaml plan --target ") == []
    assert complete(folder, "pstokens -c bad.yaml plan --target ") == []


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_get_the_keys_too(folder: Path, shell: str) -> None:
    offered = complete(folder, "pstokens plan --target ", shell=shell)
    assert {"ci", "cd-deploy", "web"} <= set(offered)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_its_script(tmp_path: Path, shell: str) -> None:
    env = os.environ | {"_PSTOKENS_COMPLETE": f"{shell}_source"}
    done = subprocess.run([str(PSTOKENS)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0 and "_PSTOKENS_COMPLETE" in done.stdout


def test_every_key_that_is_a_key_completes_whatever_is_wrong_beneath_it(folder: Path) -> None:
    (folder / "troubled.yaml").write_text(
        "organization: acme\ntokens:\n  good: {}\n  bad-ttl:\n    ttl: soon\n"
        "  bad-access:\n    accesses:\n      organization: [read_databsaes]\n"
        "  not-a-map: 12\n  Upper: {}\n")
    assert complete(folder, "pstokens -c troubled.yaml plan --target ") == [
        "bad-access", "bad-ttl", "good", "not-a-map"]


def test_a_config_that_is_not_a_regular_file_offers_nothing_at_once(folder: Path) -> None:
    os.mkfifo(folder / "pipe.yaml")  # nobody writes to it: reading it would block
    assert complete(folder, "pstokens -c pipe.yaml plan --target ") == []
    assert complete(folder, "pstokens plan --target ", PSTOKENS_CONFIG="pipe.yaml") == []
