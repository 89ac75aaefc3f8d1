"""`rules.policies` on 1,000 tokens: the three example policies, wall seconds.

Two figures: evaluating the policies once on a plan of 1,000 tokens (a create
and two grants each: about 3,000 changes, so the row states the time per
1,000 changes), and `pstokens validate` of that config end to end in-process
(read, check, make the offline plan, judge it), the median of a few runs.

    python -m benchmarks.policies [--tokens N]
"""

from __future__ import annotations

import argparse
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
    """Median wall seconds: the policies once on the plan, and a whole `validate`;
    also the plan's number of changes (`changes`)."""
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
        evaluations, validations = [], []
        runner = CliRunner()
        for _ in range(REPEAT):
            started = time.perf_counter()
            evaluate(config.rules.policies, document)
            evaluations.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = runner.invoke(cli, ["validate", "-c", str(path)])
            validations.append(time.perf_counter() - started)
            assert result.exit_code == 0, result.output  # the teams policy warns, no deny
    return {"evaluate": statistics.median(evaluations),
            "validate": statistics.median(validations), "changes": len(plan.changes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1000)
    args = parser.parse_args()
    times = time_policies(args.tokens)
    per = times["evaluate"] / times["changes"] * 1000
    print(f"three policies once on {int(times['changes']):,} changes: "
          f"{times['evaluate'] * 1000:.0f} ms ({per * 1000:.0f} ms per 1,000 changes)")
    print(f"validate, {args.tokens:,} tokens, three policies: {times['validate'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
