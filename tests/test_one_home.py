"""One home each: the clock, duration formatting, the key pattern, the default API URL,
state path and secrets file, the lock-timeout check and the bounded reader of input
files are each written once.

The emulator is left out: it plays PlanetScale, whose clock is not pstokens' own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pstokens"

HOMES = {
    "datetime.now(": "clock.py",
    "time.time()": "clock.py",
    "api.planetscale.com": "defaults.py",
    "[a-z0-9][a-z0-9._-]{0,62}": "defaults.py",
    '}.env"': "defaults.py",
    'Path("state")': "defaults.py",
    "--lock-timeout must": "defaults.py",
    '("d", 86400), ("h", 3600)': "config/duration.py",
    "O_NONBLOCK": "fileread.py",  # the bounded reader of config, policy, plan and state
}


def sources() -> dict[str, str]:
    return {str(p.relative_to(PACKAGE)): p.read_text()
            for p in sorted(PACKAGE.rglob("*.py")) if "emulator" not in p.parts}


@pytest.mark.parametrize(("text", "home"), HOMES.items(), ids=list(HOMES))
def test_each_shared_piece_is_written_in_one_module(text: str, home: str) -> None:
    assert [name for name, source in sources().items() if text in source] == [home]


def test_there_is_one_clock_module() -> None:
    for gone in ("pstokens.engine.clock", "pstokens.api.clock"):
        assert importlib.util.find_spec(gone) is None, gone
