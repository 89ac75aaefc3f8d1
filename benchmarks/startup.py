"""Cold start: `pstokens --version`, `--help` and `validate` beside importing the core libraries.

Each command runs in a fresh interpreter, several times; the median counts, of
the CPU time it used (user + system): on a shared machine its wall time is
mostly the other processes' load. Wall-clock medians are printed beside it.
Bytecode is cached (in a scratch folder, as an installed tool has it) and
warmed by one run first, so the figures are imports, not compilation.

    python benchmarks/startup.py            # 15 runs of each, medians printed
    python benchmarks/startup.py --runs 5

`--help`, `--version` and `validate` load no API stack (httpx, pydantic,
anyio, mcp, starlette); the target is under 0.2 s each.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "pstokens.yaml"
TARGET_SECONDS = 0.2
# The commands held to TARGET_SECONDS.
LIGHT = ("pstokens --version", "pstokens --help", "pstokens validate -c examples/pstokens.yaml")


def commands() -> dict[str, list[str]]:
    script = Path(sys.executable).with_name("pstokens")
    pstokens = [str(script)] if script.exists() else [sys.executable, "-m", "pstokens"]
    return {
        "python -c 'pass'": [sys.executable, "-c", "pass"],
        "python -c 'import httpx, pydantic, click'": [
            sys.executable, "-c", "import httpx, pydantic, click"
        ],
        "pstokens --version": [*pstokens, "--version"],
        "pstokens --help": [*pstokens, "--help"],
        "pstokens validate -c examples/pstokens.yaml": [*pstokens, "validate", "-c", str(EXAMPLE)],
    }


def time_startup(runs: int) -> dict[str, float]:
    """Median CPU seconds of each command in `commands()`."""
    return {name: cpu for name, (cpu, _wall) in time_startup_both(runs).items()}


def time_startup_both(runs: int) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) seconds of each command in `commands()`."""
    cache = tempfile.mkdtemp(prefix="pstokens-pycache-")
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}
    env["PYTHONPYCACHEPREFIX"] = cache
    try:
        return {name: _median(command, runs, env) for name, command in commands().items()}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _median(command: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)  # fills the cache
    cpu, wall = [], []
    for _ in range(runs):
        before = _children_cpu()
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
        wall.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - before)
    return statistics.median(cpu), statistics.median(wall)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (median)")
    args = parser.parse_args()
    times = time_startup_both(args.runs)
    missed = 0
    print(f"median of {args.runs} cold starts each: CPU (wall)\n")
    for name, (seconds, wall) in times.items():
        verdict = ""
        if name in LIGHT:
            ok = seconds < TARGET_SECONDS
            missed += not ok
            verdict = f"  {'ok' if ok else 'MISSED'} (< {TARGET_SECONDS} s)"
        print(f"{seconds * 1000:7.0f} ms ({wall * 1000:.0f} ms)  {name}{verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
