"""A fresh plan: read the organization, then plan; shared by plan, apply and the adapters."""

from __future__ import annotations

from pstokens.api.client import PlanetScaleClient
from pstokens.api.models import ServiceToken
from pstokens.config import Config
from pstokens.engine import clock
from pstokens.engine.observe import diffed_ids, read_organization
from pstokens.engine.plan import Plan
from pstokens.engine.planner import PlanOptions, make_plan
from pstokens.state import State


async def fresh_plan(
    client: PlanetScaleClient, config: Config, state: State, options: PlanOptions
) -> Plan:
    wanted = diffed_ids(config, state, options.targets)

    def needs(token: ServiceToken) -> bool:
        return token.id in wanted

    known = state.managed_ids()
    live = await read_organization(client, config.organization, needs, expected=len(known))
    return make_plan(config, state, live, now=clock.now(), options=options)
