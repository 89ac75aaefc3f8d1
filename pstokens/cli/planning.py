"""Reading the organization and planning, shared by plan, apply and the MCP tool."""

from __future__ import annotations

from datetime import UTC, datetime

from pstokens.api.client import PlanetScaleClient
from pstokens.api.models import ServiceToken
from pstokens.config import Config
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

    live = await read_organization(client, config.organization, needs)
    return make_plan(config, state, live, now=datetime.now(UTC), options=options)
