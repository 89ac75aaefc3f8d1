"""Colour on a terminal only, and never with NO_COLOR (any value) or --no-color.

The CLI runs in a subprocess on a pseudo-terminal, as in a user's shell, so
click and rich both believe they may colour; the output is searched for SGR
(colour and style) escape sequences.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import API_KEY, Emulator, write_config

SGR = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT = 60
CONFIG = """\
organization: acme
tokens:
  deployer:
    accesses:
      databases:
        app-prod: [read_branch]
"""


def on_terminal(args: list[str], cwd: Path, url: str, **extra: str) -> str:
    """Everything `pstokens ARGS` wrote to its terminal."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PSTOKENS_", "PLANETSCALE_")) and k not in
           ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", PLANETSCALE_API_URL=url, PLANETSCALE_API_KEY=API_KEY,
               PSTOKENS_RATE_LIMIT="0", **extra)
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pstokens", *args], cwd=cwd, env=env,
                               stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], TIMEOUT)
            assert ready, "pstokens wrote nothing for a minute"
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        process.wait(TIMEOUT)
        os.close(leader)
    assert process.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.fixture
def config(emulator: Emulator, workdir: Path) -> Path:
    return write_config(workdir / "pstokens.yaml", CONFIG)


def test_a_terminal_gets_colour_by_default(emulator: Emulator, workdir: Path,
                                           config: Path) -> None:
    assert SGR.search(on_terminal(["plan"], workdir, emulator.url))


@pytest.mark.parametrize("value", ["1", "0", ""])
def test_no_color_set_to_any_value_turns_colour_off_on_a_terminal(
    emulator: Emulator, workdir: Path, config: Path, value: str
) -> None:
    shown = on_terminal(["plan"], workdir, emulator.url, NO_COLOR=value)
    assert "+ deployer" in shown
    assert not SGR.search(shown), repr(shown)


@pytest.mark.parametrize("args", [["--no-color", "plan"], ["plan", "--no-color"]], ids=" ".join)
def test_the_no_color_flag_turns_colour_off_on_a_terminal(
    emulator: Emulator, workdir: Path, config: Path, args: list[str]
) -> None:
    shown = on_terminal(args, workdir, emulator.url)
    assert "+ deployer" in shown
    assert not SGR.search(shown), repr(shown)


def test_apply_and_its_progress_have_no_colour_with_no_color(
    emulator: Emulator, workdir: Path, config: Path
) -> None:
    shown = on_terminal(["--no-color", "apply", "--auto-approve"], workdir, emulator.url)
    assert "Apply complete!" in shown
    assert not SGR.search(shown), repr(shown)
    assert len(emulator.tokens()) == 1
