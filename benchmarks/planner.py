"""The pure planner on a large organization: 10,000 tokens with 10 accesses each.

No I/O at all: config, state and live tokens are built as plain data, then
`make_plan` is timed in the situations a user meets: a first plan
(everything to create), a converged organization, one where every other
token drifted, and a mass replacement (every token due for `rotate_after`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.operations import operations_table
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

# 2 organization accesses + 2 databases x 4 = 10 accesses per token.
ACCESSES: AccessMap = {
    None: frozenset({"read_databases", "read_audit_logs"}),
    "app-prod": frozenset({"read_branch", "create_branch", "read_comment", "connect_branch"}),
    "app-staging": frozenset({"read_branch", "create_branch", "delete_branch", "read_backups"}),
}
DRIFTED: AccessMap = {
    None: frozenset({"read_databases"}),
    "app-prod": frozenset({"read_branch", "create_branch", "read_comment", "write_backups"}),
    "app-staging": ACCESSES["app-staging"],
}


def time_planner(count: int, repeat: int = 5) -> dict[str, float]:
    """Best-of-`repeat` CPU seconds of `make_plan` per situation: the planner does no
    I/O, so CPU time is its cost, and on a shared machine wall time is mostly the load."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    created = now - timedelta(days=1)
    keys = [f"tok-{i:05d}" for i in range(count)]
    config = Config("bench", {k: TokenSpec(k, ACCESSES) for k in keys})
    rotating = Config("bench", {k: TokenSpec(k, ACCESSES, rotate_after=3600) for k in keys})
    records = {k: TokenRecord(f"id{i:010d}", k, created_at=created, accesses=ACCESSES)
               for i, k in enumerate(keys)}
    converged_live = {
        r.id: LiveToken(r.id, k, created, None, ACCESSES)
        for k, r in records.items() if r.id is not None
    }
    drifted_live = {
        r.id: LiveToken(r.id, k, created, None, DRIFTED if i % 2 else ACCESSES)
        for i, (k, r) in enumerate(records.items()) if r.id is not None
    }
    managed = State("bench", "lineage", 1, records)
    situations = {
        "first plan (all to create)": (config, State("bench", "lineage"), {}),
        "converged (no changes)": (config, managed, converged_live),
        "half drifted": (config, managed, drifted_live),
        "mass replacement (all due for rotate_after)": (rotating, managed, converged_live),
    }
    results: dict[str, float] = {}
    for name, (desired, state, live) in situations.items():
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            make_plan(desired, state, live, now=now, table=TABLE)
            best = min(best, time.process_time() - started)
        results[name] = best
    return results
