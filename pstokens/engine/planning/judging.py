"""`rules.policies` on a plan: evaluated once, on the plan's document, findings kept in it.

Pure: `Judge` says what a policy sees (the caller's document maker: the CLI
and the adapters pass the one `plan --format json` prints; a library caller
gets the plan's own data), what evaluates it and how long it may run: the
CLI, the adapters and the engine service evaluate in a child process killed
past the limit (engine/reading/policyrun.py); the default here evaluates in
this process, unbounded, as plain-data tests want. `offline_plan` is what
`validate` judges without the API: the plan the config makes in an empty
organization, every token a create.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pstokens.config.model import Config, PolicyFile
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.stale import config_data, digest
from pstokens.engine.rules.policies import TIME_LIMIT, PolicyFinding, evaluate
from pstokens.operations import OperationsTable
from pstokens.state.model import State

Document = Callable[[Plan], Mapping[str, Any]]
# The policies, the plan's document, the seconds they may run: their findings.
Evaluate = Callable[[Sequence[PolicyFile], Mapping[str, Any], float],
                    tuple[PolicyFinding, ...]]


def in_process(policies: Sequence[PolicyFile], document: Mapping[str, Any],
               limit: float) -> tuple[PolicyFinding, ...]:
    """Evaluate here; `limit` is not enforced (a thread running rego-cpp cannot be stopped)."""
    return evaluate(policies, document)


@dataclasses.dataclass(frozen=True)
class Judge:
    """How `rules.policies` see a plan: its `document`, what `evaluate`s them, and the
    seconds they may run."""

    document: Document = Plan.to_json
    limit: float = TIME_LIMIT
    evaluate: Evaluate = in_process


def judged(plan: Plan, config: Config, judge: Judge) -> Plan:
    """`plan` with its policies' findings: every policy evaluated once, on its document."""
    policies = config.rules.policies if config.rules is not None else ()
    if not policies:
        return plan
    found = judge.evaluate(policies, judge.document(plan), judge.limit)
    return dataclasses.replace(plan, policies=found)


def offline_plan(config: Config, table: OperationsTable, now: datetime) -> Plan:
    """The plan `config` makes in an empty organization with no state: what `validate`
    holds the policies to, offline."""
    data = config_data(config)
    return make_plan(config, State.new(config.organization), {}, now=now,
                     options=PlanOptions(), config_digest=digest(data), config_data=data,
                     table=table)
