"""Reading the organization for a review: `report` and `who-can` make the same calls.

The organization is read as a plan reads it (list pages; per-token access reads
only where the API did not embed them), then handed to the pure builders
(`build_report`, `who_can`), so the CLI, the MCP tools and the REST endpoint
give one answer from the same calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pstokens import clock
from pstokens.config.model import Rules
from pstokens.engine.inventory.report import Report, build_report
from pstokens.engine.inventory.whocan import Able, check_database, check_operation, who_can
from pstokens.engine.reading.observe import read_organization
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.guardrails import managed_keys
from pstokens.operations import operations_table
from pstokens.state.model import State


async def read_report(
    client: TokenApi,
    organization: str,
    state: State,
    rules: Rules | None,
    *,
    now: datetime | None = None,
) -> Report:
    """Read every live token with its accesses, then build the review."""
    live = await read_organization(
        client, organization, lambda token: True, expected=len(state.managed_ids())
    )
    return build_report(organization, live.values(), state, rules, now or clock.now())


async def read_who_can(
    client: TokenApi,
    organization: str,
    state: State,
    operation: str,
    database: str | None = None,
    *,
    known_databases: Iterable[str] = (),
) -> tuple[Able, ...]:
    """Read every live token with its accesses (the calls `report` makes), then answer.
    The operation is checked before any call; the database once the tokens are read."""
    table = operations_table()
    check_operation(operation, table)
    live = await read_organization(
        client, organization, lambda token: True, expected=len(state.managed_ids())
    )
    if database is not None:
        check_database(database, live.values(), known_databases)
    return who_can(live.values(), managed_keys(state), operation, database, table)
