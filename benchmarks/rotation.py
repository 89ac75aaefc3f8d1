"""Rotating 100 tokens while consumers watch: how long, and whether any consumer failed.

Every token is replaced in one apply (`--replace` of every key: create, grant,
verify, deliver, retire), against the emulator process with its latency.
Meanwhile consumers (tests/reliability/consumers.py) read the delivered `.env`
of every tenth token every 10 ms and list a database's branches with what
they read. The bound is the apply's calls spread over the client's slots,
each costing one latency: calls x latency / parallelism.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.server import EmulatorProcess
from benchmarks.workload import TABLE, QuietReporter, Workspace
from pstokens.config import load_config
from pstokens.delivery import DirectorySink
from pstokens.engine.applying.apply import Applier
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.planning.planner import PlanOptions
from pstokens.engine.reading.fresh import fresh_plan
from tests.reliability.consumers import Consumer, Destination

TOKENS = 100
WATCH_EVERY = 10  # a consumer on every tenth token: ten consumers in all
TARGET = 3.0  # the rotation at most this many times its bound
CONSUMER_ROUTE = "/databases/{database}/branches"  # list_branches: verification uses another


async def rotate_with_consumers(
    root: Path, emulator: EmulatorProcess, parallelism: int
) -> tuple[float, int, int, int]:
    """(seconds of the rotating apply, its calls, consumer calls, consumer failures)."""
    workspace = Workspace(root, "rotatebench", emulator)
    workspace.write_config(TOKENS)
    async with workspace.client(parallelism=parallelism, rate_limit=0) as client:
        _, first = await workspace.apply(client)
    assert not first.failed, "the first apply failed"
    keys = sorted(load_config(workspace.config_path).tokens)
    consumers = [
        Consumer(emulator.url, Destination("dir", workspace.secrets, workspace.organization, key),
                 f"/organizations/{workspace.organization}/databases/app-prod/branches").start()
        for key in keys[::WATCH_EVERY]
    ]
    try:
        before = workspace.store.load(workspace.organization)
        for consumer in consumers:
            consumer.wait_for_call_with(str(before.tokens[consumer.destination.key].id))
        config = load_config(workspace.config_path)
        emulator.reset_stats()
        async with workspace.client(parallelism=parallelism, rate_limit=0) as client:
            started = time.perf_counter()
            with workspace.store.locked():
                state = workspace.store.load(workspace.organization)
                plan = await fresh_plan(client, config, state,
                                        PlanOptions(replace=frozenset(keys)), table=TABLE)
                applier = Applier(client, StateWriter(workspace.store, state),
                                  DirectorySink(workspace.secrets), QuietReporter())
                result = await applier.apply(plan)
            seconds = time.perf_counter() - started
        stats = emulator.stats()
        # The emulator counts the consumers' calls too: only the apply's are its cost.
        watched = sum(n for route, counts in stats["by_route"].items()
                      if route.endswith(CONSUMER_ROUTE) for n in counts.values())
        calls = int(stats["total"]) - watched
        assert not result.errors, result.errors
        after = workspace.store.load(workspace.organization)
        for consumer in consumers:
            consumer.wait_for_call_with(str(after.tokens[consumer.destination.key].id))
    finally:
        for consumer in consumers:
            consumer.stop()
    made = sum(c.made for c in consumers)
    failed = sum(len(c.failed) for c in consumers)
    return seconds, calls, made, failed
