"""A fresh plan: read the organization and its audit log, then plan (and warn of
tokens piling up behind a failing destination); shared by plan, apply and the adapters.

`plan_for_apply` is the one way to get a plan that apply may carry out: a
fresh one, or a saved one checked against the state, the config and a fresh
read of the organization (with the saved plan's own targets and replacements).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from pstokens import clock
from pstokens.api.listing import ListedToken
from pstokens.config.model import Config
from pstokens.engine.planning.judging import Judge, judged
from pstokens.engine.planning.piling import with_piling
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.policy import (
    check_options,
    check_same,
    check_saved,
    saved_options,
)
from pstokens.engine.planning.stale import config_data, digest
from pstokens.engine.reading.leaks import read_leaks
from pstokens.engine.reading.observe import diffed_ids, read_organization
from pstokens.engine.reading.policyrun import isolated
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.guardrails import needs_accesses
from pstokens.operations import OperationsTable
from pstokens.state.model import State

# The judge for callers that give none: the plan's own data, evaluated in a child process.
PLAN_DATA = Judge(evaluate=isolated)


async def fresh_plan(
    api: TokenApi, config: Config, state: State, options: PlanOptions,
    *, table: OperationsTable, now: datetime | None = None, judge: Judge = PLAN_DATA,
) -> Plan:
    """Read the organization and the audit log, then plan with `table`, the
    operations table the caller loaded, and judge it by `rules.policies`."""
    check_options(config, state, options)
    wanted = diffed_ids(config, state, options.targets)
    # rules.forbid_accesses is checked on every live token, managed or not.
    everyone = needs_accesses(config.rules) and not options.targets

    def needs(token: ListedToken) -> bool:
        return everyone or token.id in wanted

    known = state.managed_ids()
    now = now or clock.now()
    # The audit log is read beside the tokens: a plan waits for the slower, not both.
    leaks_read = asyncio.ensure_future(read_leaks(api, config.organization, now))
    try:
        live = await read_organization(api, config.organization, needs, expected=len(known))
    except BaseException:
        leaks_read.cancel()
        raise
    leaks = await leaks_read
    data = config_data(config)
    plan = make_plan(config, state, live, now=now, options=options,
                     config_digest=digest(data), config_data=data, leaks=leaks, table=table)
    keys = [k for k in config.tokens if not options.targets or k in options.targets]
    return judged(with_piling(plan, state, live, keys), config, judge)


async def plan_for_apply(
    api: TokenApi, config: Config, state: State, options: PlanOptions,
    *, table: OperationsTable, saved: Plan | None = None, judge: Judge = PLAN_DATA,
) -> Plan:
    """The plan apply carries out: fresh, or the saved one if it still holds."""
    if saved is None:
        return await fresh_plan(api, config, state, options, table=table, judge=judge)
    check_saved(saved, config, state)
    fresh = await fresh_plan(api, config, state, saved_options(saved), table=table,
                             judge=judge)
    check_same(saved, fresh)
    return fresh
