"""Cold start: `pstokens --version` beside importing its three core libraries alone.

Each command runs in a fresh interpreter, several times; the median counts.
Bytecode is cached (in a scratch folder, as an installed tool has it) and
warmed by one run first, so the figures are imports, not compilation.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def commands() -> dict[str, list[str]]:
    script = Path(sys.executable).with_name("pstokens")
    version = [str(script)] if script.exists() else [sys.executable, "-m", "pstokens"]
    return {
        "python -c 'pass'": [sys.executable, "-c", "pass"],
        "python -c 'import httpx, pydantic, click'": [
            sys.executable, "-c", "import httpx, pydantic, click"
        ],
        "pstokens --version": [*version, "--version"],
    }


def time_startup(runs: int) -> dict[str, float]:
    """Median seconds of each command in `commands()`."""
    cache = tempfile.mkdtemp(prefix="pstokens-pycache-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    try:
        return {name: _median(command, runs, env) for name, command in commands().items()}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _median(command: list[str], runs: int, env: dict[str, str]) -> float:
    subprocess.run(command, check=True, capture_output=True, env=env)  # fills the cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
