"""Run the pstokens benchmarks and print each figure beside its lower bound.

    python benchmarks/run.py            # full: 100 and 1,000 tokens, ~90 s
    python benchmarks/run.py --quick    # 100 tokens, a short rate-limited run, ~25 s
    python benchmarks/run.py --only plan --sizes 1000   # the plan rows alone, ~60 s

Starts `pstokens emulator` in a subprocess on 127.0.0.1 with a latency, so
the figures are about calls and the waiting around them. The lower bound of a
step is calls x latency / parallelism (never less than one latency) without a
rate limit, and calls / (limit / 60) per second with one. Exits 1 if a target
is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `pstokens` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lease import EXPECTED_CALLS as EXEC_CALLS
from benchmarks.lease import time_exec_overhead
from benchmarks.operations import TARGET as OPERATIONS_TARGET
from benchmarks.operations import time_operations
from benchmarks.planner import time_planner
from benchmarks.policies import VALIDATE_TARGET, time_policies
from benchmarks.rotation import TARGET as ROTATE_TARGET
from benchmarks.rotation import TOKENS as ROTATE_TOKENS
from benchmarks.rotation import rotate_with_consumers
from benchmarks.server import EmulatorProcess, emulator_process
from benchmarks.startup import LIGHT, time_startup
from benchmarks.startup import TARGET_SECONDS as LIGHT_TARGET
from benchmarks.workload import DATABASES, Measured, Workspace

PER_PAGE = 100
REPEAT = 7  # plans timed per size; the median counts
PLAN_REPEAT = 15  # plans and bare-client reads timed in turn at 1,000 tokens; the median counts
PLAN_TARGET = 1.3  # a 1,000-token plan at most this many times the bare httpx client's time
AUDIT_READS = 1  # every plan reads the audit log back 15 days: one page when it is short
OWN_WORK_TARGET = 0.020  # seconds: parsing 1,000 tokens' pages and planning, pages in memory
THROUGHPUT_TARGET = 0.9  # share of the rate limit used when it binds
RATE_LIMITED_SHARE = 0.01  # fewer 429 answers than this share
PLANNER_TARGET = 0.5  # seconds, 10,000 tokens x 10 accesses
STARTUP_TARGET = 1.3  # pstokens --version vs importing httpx, pydantic, click
REPORT_CPU_TARGET = 0.5  # seconds of CPU to build and render one report format
EXEC_TARGET = 1.5  # exec's overhead around COMMAND at most this many times calls x latency


@dataclass
class Row:
    step: str
    calls: str
    seconds: float
    bound: float | None
    target: str
    ok: bool | None  # None: informational

    def cells(self) -> list[str]:
        ratio = f"{self.seconds / self.bound:.2f}x" if self.bound else "-"
        bound = _fmt_seconds(self.bound) if self.bound is not None else "-"
        verdict = {True: "pass", False: "MISS", None: "-"}[self.ok]
        return [self.step, self.calls, _fmt_seconds(self.seconds), bound, ratio,
                self.target, verdict]


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # As `pstokens` does once a command starts (cli/context.py): what is loaded
    # by now stays out of the collector's passes over a large organization.
    gc.freeze()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pstokens-bench-") as scratch:
        root = Path(scratch)
        with emulator_process(latency_ms=args.latency_ms) as emulator:
            for size in args.sizes:
                workspace = Workspace(root / f"n{size}", f"bench{size}", emulator)
                rows += asyncio.run(_unpaced(workspace, size, args))
            if args.only is None:
                rows.append(asyncio.run(_exec_row(emulator, root / "exec", args)))
                rows.append(asyncio.run(_rotate_row(emulator, root / "rotate", args)))
        if args.rate_limited_tokens and args.only is None:
            with emulator_process(latency_ms=args.latency_ms, rate_limit=600) as emulator:
                workspace = Workspace(root / "paced", "paced", emulator)
                rows += asyncio.run(_paced(workspace, args.rate_limited_tokens, args))
    if args.only is None:
        rows += _planner_rows(args.planner_tokens)
        rows += _operations_rows(args.planner_tokens)
        rows += _policy_rows()
        rows += _startup_rows(args.startup_runs)
    _print_table(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=2) + "\n")
    return 0 if all(r.ok is not False for r in rows) else 1


async def _unpaced(workspace: Workspace, size: int, args: argparse.Namespace) -> list[Row]:
    latency, parallelism = args.latency_ms / 1000, args.parallelism

    def bound(m: Measured) -> float:
        # Calls spread over the slots; and no step is quicker than one round trip.
        return float(max(latency, m.calls * latency / parallelism))

    workspace.write_config(size)
    async with workspace.client(parallelism=parallelism, rate_limit=0) as client:
        _, applied = await workspace.apply(client)
    creates = applied.count("POST", "/service-tokens")
    grants = applied.count("POST", "/access")
    expected_writes = (size, size * len(DATABASES))
    # Each new token verifies itself once, through the GET the plan chose for it.
    listed = applied.count("GET", "/service-tokens")
    verified = applied.reads - listed - applied.count("GET", "/audit-log")
    apply_ok = (not applied.failed and (creates, grants) == expected_writes
                and applied.writes == creates + grants and verified == size
                and applied.reads == 1 + AUDIT_READS + size)
    apply_row = Row(f"apply {size} new tokens", f"{applied.reads - verified} reads + {creates} "
                    f"creates + {grants} grants + {verified} verifications", applied.seconds,
                    bound(applied),
                    f"writes = {size} + {size * 2}, one verification each, nothing else",
                    apply_ok)
    pages = max(1, math.ceil(size / PER_PAGE))

    # A plan and the bare client's read of the same pages, taken in turn, so both
    # meet the shared machine's load alike; the medians count, the minimums beside.
    plans, raw_runs, with_log = [], [], []
    for _ in range(PLAN_REPEAT if size >= 1000 else REPEAT):
        gc.collect()  # the earlier steps' garbage: a `pstokens plan` process starts without it
        async with workspace.client(parallelism=parallelism, rate_limit=0) as client:
            plans.append((await workspace.plan(client))[1])
        raw_runs.append(await workspace.raw_pages(pages, parallelism))
        with_log.append((await workspace.raw_pages(pages, parallelism, audit_log=True))[0])
    plans.sort(key=lambda m: m.detail["reads_and_planner"])
    planned = plans[len(plans) // 2]
    reads_and_planner = planned.detail["reads_and_planner"]
    plan_ok = all(m.calls == pages + AUDIT_READS and m.count("GET", "/audit-log") == AUDIT_READS
                  and m.count("GET", "/access") == 0 for m in plans)
    raw = statistics.median(seconds for seconds, _ in raw_runs)
    fastest_plan = plans[0].detail["reads_and_planner"]
    fastest_raw = min(seconds for seconds, _ in raw_runs)
    # The bare client making the calls a plan must make: the pages and, since
    # leaks are checked on every plan, the one audit-log read. With 11 calls on
    # 10 connections either client waits a round trip for the last one.
    floor = statistics.median(with_log)
    fastest_floor = min(with_log)
    own = [await workspace.local_plan(raw_runs[0][1]) for _ in range(PLAN_REPEAT)]
    own_cpu = statistics.median(cpu for cpu, _ in own)
    own_wall = statistics.median(wall for _, wall in own)
    own_fastest = min(cpu for cpu, _ in own)
    within = reads_and_planner <= PLAN_TARGET * floor
    rows = [
        Row(f"plan {size} managed tokens",
            f"{planned.calls - AUDIT_READS} pages + 1 audit-log read", reads_and_planner,
            bound(planned),
            f"calls = {pages} pages + 1 ({'ok' if plan_ok else 'WRONG'}); median <= "
            f"{PLAN_TARGET}x a bare httpx client making the same {pages + 1} calls: "
            f"{reads_and_planner / floor:.2f}x "
            f"({'OK' if within else 'MISS'}; fastest {_fmt_seconds(fastest_plan)} against "
            f"{_fmt_seconds(fastest_floor)}, {fastest_plan / fastest_floor:.2f}x)"
            if size >= 1000 else f"calls = {pages} pages + 1",
            plan_ok and (size < 1000 or within)),
        Row("  same, whole command after start-up", f"{planned.calls} pages", planned.seconds,
            bound(planned), "config + state + reads + plan + render", None),
        Row("  the bare client, same pages + the audit-log read (the target's floor)",
            f"{pages} pages + 1", floor,
            max(latency, (pages + 1) * latency / parallelism),
            f"{pages + 1} calls on {parallelism} connections (fastest "
            f"{_fmt_seconds(fastest_floor)})", None),
        Row("  the bare client, the pages alone (no audit-log read)", f"{pages} pages", raw,
            max(latency, pages * latency / parallelism),
            f"the floor before plans read the audit log: the plan takes "
            f"{reads_and_planner / raw:.2f}x this (fastest {_fmt_seconds(fastest_raw)})", None),
        Row("  pstokens' own work: same plan, pages served from memory (CPU)", "0", own_cpu,
            None,
            f"parse the pages, plan: median <= {OWN_WORK_TARGET * 1000:.0f} ms CPU "
            f"({'OK' if own_cpu <= OWN_WORK_TARGET else 'MISS'}; fastest "
            f"{_fmt_seconds(own_fastest)}; wall median {_fmt_seconds(own_wall)})"
            if size >= 1000 else f"parse the pages, plan (wall median {_fmt_seconds(own_wall)})",
            own_cpu <= OWN_WORK_TARGET if size >= 1000 else None),
    ]
    if args.only == "plan":
        return [apply_row, *rows]

    async with workspace.client(parallelism=parallelism, rate_limit=600) as client:
        _, paced = await workspace.plan(client)  # as `pstokens plan` against PlanetScale

    async with workspace.client(parallelism=parallelism, rate_limit=0,
                                strip_embedded=True) as client:
        _, fallback = await workspace.plan(client)
    access_reads = fallback.count("GET", "/access")
    fallback_ok = fallback.calls == pages + AUDIT_READS + size and access_reads == size

    reports = []
    for _ in range(3):
        async with workspace.client(parallelism=parallelism, rate_limit=0) as client:
            reports.append((await workspace.report(client))[1])
    reports.sort(key=lambda m: m.seconds)
    reported = reports[len(reports) // 2]
    # A report reads what a plan reads, less the plan's leak check.
    plan_reads = {r: n for r, n in planned.by_route.items() if not r.endswith("/audit-log")}
    report_ok = all(m.by_route == plan_reads for m in reports)
    cpu = reported.detail
    report_cpu = {fmt: cpu["build"] + cpu[fmt] for fmt in ("text", "markdown", "html", "json")}

    return [
        apply_row,
        *rows[:4],
        Row("  same, paced at 600/min as against PlanetScale", f"{paced.calls} pages",
            paced.detail["reads_and_planner"], paced.calls / 10,
            "the pages go out in one burst, within the limit", None),
        *rows[4:],
        Row(f"report {size} tokens, whole command after start-up", f"{reported.calls} pages",
            reported.seconds, bound(reported),
            f"the plan's calls but the audit log ({'ok' if report_ok else 'WRONG'})", report_ok),
        *(Row(f"  report CPU, build + render {fmt}", "0", seconds, None,
              f"< {REPORT_CPU_TARGET} s", seconds < REPORT_CPU_TARGET)
          for fmt, seconds in report_cpu.items()),
        Row(f"plan {size} managed, accesses not embedded",
            f"{fallback.calls - access_reads - AUDIT_READS} pages + 1 audit-log read + "
            f"{access_reads} reads",
            fallback.detail["reads_and_planner"], bound(fallback),
            f"calls = {pages} pages + 1 + {size} reads", fallback_ok),
    ]


async def _exec_row(emulator: EmulatorProcess, root: Path, args: argparse.Namespace) -> Row:
    seconds, calls = await time_exec_overhead(emulator, root)
    bound = calls * args.latency_ms / 1000
    return Row("exec: lease made and deleted around COMMAND",
               f"{calls} calls (1 create, {EXEC_CALLS - 3} grants, 1 verify, 1 delete)",
               seconds, bound, f"calls = {EXEC_CALLS}; time <= {EXEC_TARGET}x calls x latency",
               calls == EXEC_CALLS and seconds <= EXEC_TARGET * bound)


async def _rotate_row(emulator: EmulatorProcess, root: Path, args: argparse.Namespace) -> Row:
    seconds, calls, made, failed = await rotate_with_consumers(root, emulator, args.parallelism)
    bound = calls * args.latency_ms / 1000 / args.parallelism
    return Row(f"rotate {ROTATE_TOKENS} tokens with consumers watching",
               f"{calls} calls; consumers made {made} calls, {failed} failed", seconds, bound,
               f"0 consumer failures; time <= {ROTATE_TARGET}x calls x latency / parallelism",
               failed == 0 and seconds <= ROTATE_TARGET * bound)


async def _paced(workspace: Workspace, size: int, args: argparse.Namespace) -> list[Row]:
    per_second = 600 / 60
    workspace.write_config(size)
    async with workspace.client(parallelism=args.parallelism, rate_limit=600) as client:
        _, applied = await workspace.apply(client)
        _, planned = await workspace.plan(client)
    calls = applied.calls + planned.calls
    seconds = applied.seconds + planned.seconds
    limited = applied.rate_limited + planned.rate_limited
    throughput = calls / seconds / per_second
    ok = (not applied.failed and limited < RATE_LIMITED_SHARE * calls
          and throughput >= THROUGHPUT_TARGET)
    return [Row(
        f"apply {size} + plan, 600/min limit on",
        f"{calls} calls, {limited} answered 429", seconds, calls / per_second,
        f"no failure, 429 < 1%, >= 90% of limit (got {throughput:.0%})", ok,
    )]


def _planner_rows(count: int) -> list[Row]:
    rows = []
    for situation, seconds in time_planner(count).items():
        rows.append(Row(f"planner, {count:,} tokens x 10 accesses: {situation} (CPU)", "0",
                        seconds, None, f"< {PLANNER_TARGET} s", seconds < PLANNER_TARGET))
    return rows


def _operations_rows(count: int) -> list[Row]:
    """What `count` tokens x 10 accesses allow (benchmarks/operations.py), in CPU seconds."""
    return [Row(f"operations, {count:,} tokens x 10 accesses: {name} (CPU)", "0", seconds, None,
                f"< {OPERATIONS_TARGET} s", seconds < OPERATIONS_TARGET)
            for name, seconds in time_operations(count).items()]


def _policy_rows(count: int = 1000) -> list[Row]:
    """Three Rego policies (examples/policy/) on 1,000 tokens: once on the plan, per
    1,000 changes; and `validate` of that config, which judges the offline plan."""
    times = time_policies(count)
    per = times["evaluate"] / times["changes"] * 1000
    return [
        Row(f"policies: three on a {count:,}-token plan ({int(times['changes']):,} changes; "
            f"{per:.2f} s per 1,000 changes)", "0", times["evaluate"], None, "", None),
        Row(f"validate, {count:,} tokens, three policies ("
            f"{times['validate'] / times['changes'] * 1000:.2f} s per 1,000 changes; CPU "
            f"{times['validate_cpu']:.2f} s)", "0", times["validate"], None,
            f"< {VALIDATE_TARGET} s", times["validate"] < VALIDATE_TARGET),
    ]


def _startup_rows(runs: int) -> list[Row]:
    times = time_startup(runs)
    core = times["python -c 'import httpx, pydantic, click'"]
    version = times["pstokens --version"]
    rows = []
    for name, seconds in times.items():
        if name == "pstokens --version":
            rows.append(Row("pstokens --version (cold start, CPU)", "0", version, None,
                            f"<= {STARTUP_TARGET}x the core imports ({version / core:.2f}x)",
                            version <= STARTUP_TARGET * core))
        elif name in LIGHT:
            rows.append(Row(f"{name} (cold start, CPU)", "0", seconds, None,
                            f"< {LIGHT_TARGET} s", seconds < LIGHT_TARGET))
        else:
            rows.append(Row(f"{name} (CPU)", "0", seconds, None, "", None))
    return rows


def _print_table(rows: list[Row], args: argparse.Namespace) -> None:
    print(f"latency {args.latency_ms:g} ms, parallelism {args.parallelism}, "
          f"{PER_PAGE} tokens a page, accesses on {len(DATABASES)} databases per token\n")
    header = ["step", "calls", "time", "lower bound", "ratio", "target", "verdict"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100 tokens only, a short rate-limited run, fewer start-up runs")
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", help="organization sizes to run")
    parser.add_argument("--rate-limited-tokens", type=int,
                        help="tokens applied under the 600/min limit (0 skips that run)")
    parser.add_argument("--planner-tokens", type=int, default=10_000)
    parser.add_argument("--startup-runs", type=int)
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--only", choices=["plan"],
                        help="plan: the plan rows alone (after the apply that sets them up)")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = [100] if args.quick else [100, 1000]
    if args.rate_limited_tokens is None:
        # Each new token costs 1 create + 2 grants: 150 tokens make ~450 calls, ~46 s.
        args.rate_limited_tokens = 30 if args.quick else 150
    if args.startup_runs is None:
        args.startup_runs = 5 if args.quick else 15
    return args


if __name__ == "__main__":
    sys.exit(main())
