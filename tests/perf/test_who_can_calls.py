"""`who-can` reads what a plan (and `report`) reads: the list pages, and per-token
access reads only where the API does not embed them."""

from __future__ import annotations

import math

import pytest

from pstokens.config import parse_config
from pstokens.emulator import EmulatorStore
from pstokens.engine.inventory.whocan import UnknownName
from pstokens.engine.planning.planner import PlanOptions
from pstokens.engine.reading.fresh import fresh_plan
from pstokens.engine.reading.reviews import read_who_can
from pstokens.operations import operations_table

from .conftest import ORG, config_text, key, seed
from .test_fallback_reads import AUDIT_LOG, TOKENS, access_reads, client_for, plan_with

TABLE = operations_table()


async def test_who_can_over_1000_tokens_makes_the_plans_calls() -> None:
    store = EmulatorStore()
    state = seed(store, managed=900, unmanaged=100)

    planned = await plan_with(store, state, 900, strip=False)
    client, recorder = client_for(store, {"strip_embedded": False})
    async with client:
        await read_who_can(client, ORG, state, "get_branch")

    # The plan's calls but its one read of the audit log, for leaks.
    assert planned.requests.count(AUDIT_LOG) == 1
    assert recorder.requests == [r for r in planned.requests if r != AUDIT_LOG]
    assert recorder.requests == [f"GET {TOKENS}"] * 10


async def test_without_embedded_accesses_each_token_is_read_once() -> None:
    store = EmulatorStore()
    state = seed(store, managed=120, unmanaged=60)
    client, recorder = client_for(store, {"strip_embedded": True})
    async with client:
        await read_who_can(client, ORG, state, "get_branch")

    assert recorder.count("GET", "/service-tokens") == math.ceil(180 / 100)
    assert len(access_reads(recorder)) == 180
    assert len(set(access_reads(recorder))) == 180


async def test_an_unknown_operation_makes_no_call() -> None:
    store = EmulatorStore()
    state = seed(store, managed=5, unmanaged=0)
    client, recorder = client_for(store, {"strip_embedded": False})
    async with client:
        with pytest.raises(UnknownName, match="unknown operation"):
            await read_who_can(client, ORG, state, "no_such_operation")
    assert recorder.requests == []


async def test_a_plan_with_forbidden_operations_reads_every_tokens_accesses() -> None:
    store = EmulatorStore()
    state = seed(store, managed=20, unmanaged=30)
    text = config_text(key(i) for i in range(20)).replace(
        "tokens:", "rules:\n  forbid_operations: [delete_database]\ntokens:", 1)
    client, recorder = client_for(store, {"strip_embedded": True})
    async with client:
        plan = await fresh_plan(client, parse_config(text), state, PlanOptions(), table=TABLE)

    assert not plan.changes and plan.violations == ()
    assert len(access_reads(recorder)) == 50  # the 30 unmanaged ones too
