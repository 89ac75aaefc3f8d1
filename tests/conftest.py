"""Suite-wide options: `--long` runs the slow tests (marked `slow`), skipped by default.

Only the rootdir conftest may add command-line options, so this file holds the
option, hypothesis' CI profile (loaded when CI is set, before any test module
builds its settings), the check that a run leaves no untracked file in the
work tree, and the plugin that holds every JSON plan the suite writes to the
plan schema (tests/plan_documents.py); fixtures live beside the tests that use them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# Loaded before any test module imports pstokens' plan writers, so it can wrap them.
pytest_plugins = ("tests.plan_documents",)

ROOT = Path(__file__).resolve().parent.parent
UNTRACKED = pytest.StashKey[set[str] | None]()  # what git listed as untracked at the start

# In CI the same examples every run and none remembered from an earlier one: a
# failure is reproduced by rerunning, never by a saved example only one machine has.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="also run the long fault-injection and kill -9 suites (tests marked slow)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--long"):
        return
    skip = pytest.mark.skip(reason="long run: pass --long to include it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def untracked(root: Path = ROOT) -> set[str] | None:
    """Files git would list as untracked in the work tree (None: not a git work tree)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                              cwd=root, capture_output=True, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return {line[3:] for line in done.stdout.splitlines() if line.startswith("?? ")}


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, once per run
        session.config.stash[UNTRACKED] = untracked()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(UNTRACKED, None)
    after = None if before is None else untracked()
    left = sorted((after or set()) - (before or set()))
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the tests left untracked files: {', '.join(left[:10])}",
                                red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
