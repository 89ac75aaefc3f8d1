"""What 10,000 tokens x 10 accesses allow, by the operations table: CPU seconds.

Two computations, both pure: each token's operations (what `report` counts,
`operations_of`), and the plan post-pass that sets `allows` on every grant of a
first plan (`with_allows`: 3 grants a token). The table is loaded before timing.

    python -m benchmarks.operations [--tokens N]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from pstokens.config.model import AccessMap, Config, TokenSpec
from pstokens.engine.planning.allows import with_allows
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.reach import operations_of
from pstokens.operations import operations_table
from pstokens.state.model import State

TABLE = operations_table()

TARGET = 0.5  # seconds of CPU for 10,000 tokens x 10 accesses
DATABASE_SETS = (
    ("read_branch", "create_branch", "read_comment", "connect_branch"),
    ("read_branch", "create_branch", "delete_branch", "read_backups"),
    ("connect_production_branch", "promote_branches", "restore_backup", "write_backups"),
)


def _accesses(i: int) -> AccessMap:
    """10 accesses: 2 organization-level, 4 on each of two databases, varying by token."""
    return {
        None: frozenset({"read_databases", "write_service_tokens" if i % 7 else "read_audit_logs"}),
        f"db-{i % 50}": frozenset(DATABASE_SETS[i % 3]),
        f"db-{(i + 1) % 50}": frozenset(DATABASE_SETS[(i + 1) % 3]),
    }


def time_operations(count: int = 10_000, repeat: int = 3) -> dict[str, float]:
    """Best-of-`repeat` CPU seconds for each computation."""
    table = operations_table()
    live = [LiveToken(f"id{i:010d}", f"tok-{i:05d}", None, None, _accesses(i))
            for i in range(count)]
    config = Config("bench", {t.name or "": TokenSpec(t.name or "", t.accesses or {})
                              for t in live})
    plan = make_plan(config, State("bench", "lineage"), {},
                     now=datetime(2026, 1, 1, tzinfo=UTC), table=TABLE)
    results: dict[str, float] = {}
    for name, work in (
        ("each token's operations (report)", lambda: [operations_of(t.accesses, table)
                                                      for t in live]),
        ("allows on every grant (plan post-pass)", lambda: with_allows(plan, {}, table)),
    ):
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            work()
            best = min(best, time.process_time() - started)
        results[name] = best
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    args = parser.parse_args()
    ok = True
    for name, seconds in time_operations(args.tokens).items():
        verdict = "pass" if seconds < TARGET else "MISS"
        ok = ok and seconds < TARGET
        print(f"{args.tokens:,} tokens x 10 accesses, {name}: {seconds * 1000:.0f} ms CPU "
              f"(target < {TARGET * 1000:.0f} ms): {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
