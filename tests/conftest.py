"""Suite-wide options: `--long` runs the slow tests (marked `slow`), skipped by default.

Only the rootdir conftest may add command-line options, so this file holds the
option and nothing else; fixtures live beside the tests that use them.
"""

from __future__ import annotations

import pytest


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
