"""A fresh plan: read the organization and its audit log, then plan (and warn of
tokens piling up behind a failing destination); shared by plan, apply and the adapters.

`plan_for_apply` is the one way to get a plan that apply may carry out: a
fresh one, or a saved one checked against the state, the config and a fresh
read of the organization (with the saved plan's own targets and replacements).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

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
from pstokens.engine.rules.findings import NOT_CHECKED
from pstokens.engine.rules.guardrails import needs_accesses
from pstokens.nocycles import cycles_uncollected
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
    reads: list[asyncio.Future[Any]] = []
    try:
        with cycles_uncollected():
            plan = await _read_and_plan(api, config, state, options, table, now, needs,
                                        len(known), reads)
    except BaseException:
        for read in reads:
            read.cancel()
        raise
    return judged(plan, config, judge)


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


async def _read_and_plan(
    api: TokenApi, config: Config, state: State, options: PlanOptions,
    table: OperationsTable, now: datetime, needs: Callable[[ListedToken], bool],
    expected: int, reads: list[asyncio.Future[Any]],
) -> Plan:
    """The organization and the audit log read together (each started read is put
    in `reads`, for the caller to cancel on an error), then the plan.

    The audit log is asked for once the list's pages have taken their connection
    slots (two turns of the loop: the list's task makes the page requests, they
    take their slots). With fewer slots than pages + 1, the log's one small read
    is then the one that waits, and the planner runs while it is on its way rather
    than after the last page: a plan depends on the log only through the token IDs
    it names, so one made as if it named none is the plan when it names none.
    """
    live_read = asyncio.ensure_future(
        read_organization(api, config.organization, needs, expected=expected))
    reads.append(live_read)
    for _ in range(2):
        await asyncio.sleep(0)
    leaks_read = asyncio.ensure_future(read_leaks(api, config.organization, now))
    reads.append(leaks_read)
    live = await live_read
    data = config_data(config)
    plan_with = functools.partial(make_plan, config, state, live, now=now, options=options,
                                  config_digest=digest(data), config_data=data, table=table)
    keys = [k for k in config.tokens if not options.targets or k in options.targets]
    if leaks_read.done():
        plan = plan_with(leaks=leaks_read.result())
    else:
        guess = plan_with(leaks=NOT_CHECKED)
        leaks = await leaks_read
        plan = (dataclasses.replace(guess, leak_check=leaks) if not leaks.leaked
                else plan_with(leaks=leaks))
    return with_piling(plan, state, live, keys)
