"""A large saved plan: 20,000 new tokens with two databases each, saved and loaded.

    python benchmarks/saved_plan.py            # 20,000 tokens
    python benchmarks/saved_plan.py 5000       # another count

Built in-process (no emulator: a first plan reads no live token): the pure
planner makes the plan, then it is written as `plan --out` writes it and as
`--format json` prints it, and read back as `apply PLANFILE` and `show` read
it. Prints each size and the best-of-3 seconds of each step.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `pstokens` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.planning.stale import config_data, digest
from pstokens.operations import operations_table
from pstokens.render.json import render_json, render_saved
from pstokens.state.model import State

TABLE = operations_table()

T = TypeVar("T")

# Two databases of four broad accesses each: about 50 operations a grant opens.
BROAD = frozenset({"read_branch", "connect_branch", "create_branch", "delete_branch"})
ACCESSES: AccessMap = {"app-prod": BROAD, "app-staging": BROAD}


def large_plan(count: int) -> Plan:
    """The first plan of `count` tokens: a create and two grants each, with its config."""
    keys = [f"tok-{i:05d}" for i in range(count)]
    config = Config("bench", {k: TokenSpec(k, ACCESSES) for k in keys})
    plan = make_plan(config, State("bench", "lineage"), {}, now=datetime(2026, 1, 1, tzinfo=UTC),
                     table=TABLE)
    data = config_data(config)
    return replace(plan, config=data, config_digest=digest(data))


def _best(step: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - started)
    return result, best  # type: ignore[return-value]


def main(count: int) -> None:
    plan = large_plan(count)
    print(f"{count:,} tokens x 2 databases: {len(plan.changes):,} changes")
    full, full_save = _best(lambda: render_json(plan).encode())
    saved, save = _best(lambda: render_saved(plan))
    _, full_load = _best(lambda: Plan.from_json(json.loads(full)))
    loaded, load = _best(lambda: Plan.from_json(json.loads(saved)))
    assert loaded == plan
    print(f"--format json (format 2's saved plan): {len(full) / 2**20:.1f} MiB, "
          f"written in {full_save:.2f} s, read in {full_load:.2f} s")
    print(f"plan --out (format 3): {len(saved) / 2**20:.1f} MiB, "
          f"written in {save:.2f} s, read in {load:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
