"""`rules.policies` on 1,000 tokens: the three example policies, wall seconds.

Two figures: evaluating the policies once on a plan of 1,000 tokens (a create
and two grants each: about 3,000 changes, so the rows state the time per
1,000 changes), in this process (the input built once, every policy queried),
and `pstokens validate` of that config end to end (read, check, make the
offline plan, judge it in the child process policyrun.py starts), the median
of a few runs. Beside the wall time, the CPU time of both processes.

    python -m benchmarks.policies [--tokens N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pstokens.config import load_config
from pstokens.engine.planning.judging import offline_plan
from pstokens.engine.rules.policies import evaluate
from pstokens.operations import operations_table
from pstokens.render.json import plan_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policy"
VALIDATE_TARGET = 0.5  # seconds: validate with three policies on 1,000 tokens (issue #28)
REPEAT = 5


def config_text(count: int) -> str:
    lines = ["organization: bench", "rules:",
             "  policies: [policy/no_production_delete.rego, policy/ttl.rego, "
             "policy/teams.rego]", "tokens:"]
    for i in range(count):
        team = ("payments", "search", "ops")[i % 3]
        lines += [f"  {team}-{i:05d}:", "    ttl: 30d", "    accesses:",
                  "      organization: [read_databases]", "      databases:",
                  f"        {team}-db-{i % 40}: [read_branch, create_branch]"]
    return "\n".join(lines) + "\n"


def time_policies(count: int = 1000) -> dict[str, float]:
    """Median wall seconds: the policies once on the plan (`evaluate`), and a whole
    `validate` (`validate`, its CPU seconds in both processes `validate_cpu`); also the
    plan's number of changes (`changes`)."""
    from click.testing import CliRunner

    from pstokens.cli.main import cli

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "policy").mkdir()
        for policy in EXAMPLES.glob("*.rego"):
            (root / "policy" / policy.name).write_text(policy.read_text())
        path = root / "pstokens.yaml"
        path.write_text(config_text(count))
        config = load_config(path)
        assert config.rules is not None
        plan = offline_plan(config, operations_table(), datetime(2026, 1, 1, tzinfo=UTC))
        document = plan_document(plan)
        evaluations, validations, cpu = [], [], []
        runner = CliRunner()
        for _ in range(REPEAT):
            started = time.perf_counter()
            evaluate(config.rules.policies, document)
            evaluations.append(time.perf_counter() - started)
            started, used = time.perf_counter(), _cpu()
            result = runner.invoke(cli, ["validate", "-c", str(path)])
            validations.append(time.perf_counter() - started)
            cpu.append(_cpu() - used)
            assert result.exit_code == 0, result.output  # the teams policy warns, no deny
    return {"evaluate": statistics.median(evaluations),
            "validate": statistics.median(validations), "validate_cpu": statistics.median(cpu),
            "changes": len(plan.changes)}


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1000)
    args = parser.parse_args()
    times = time_policies(args.tokens)
    per = times["evaluate"] / times["changes"] * 1000
    print(f"three policies once on {int(times['changes']):,} changes: "
          f"{times['evaluate'] * 1000:.0f} ms ({per * 1000:.0f} ms per 1,000 changes)")
    validate = times["validate"]
    print(f"validate, {args.tokens:,} tokens, three policies: {validate * 1000:.0f} ms "
          f"({validate / times['changes'] * 1e6:.0f} ms per 1,000 changes; CPU "
          f"{times['validate_cpu'] * 1000:.0f} ms): "
          f"{'OK' if validate < VALIDATE_TARGET else 'MISS'} (< {VALIDATE_TARGET} s)")


if __name__ == "__main__":
    main()
