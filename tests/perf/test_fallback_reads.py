"""When the list does not embed accesses: one read per managed token, and no more.

The emulator runs in-process behind a transport that strips
`service_token_accesses` from list items and records every request.
"""

from __future__ import annotations

import math

import httpx

from pstokens.api import Credentials, PlanetScaleClient
from pstokens.config import parse_config
from pstokens.emulator import EmulatorSettings, EmulatorStore, create_app
from pstokens.engine.planning.planner import PlanOptions
from pstokens.engine.reading.fresh import fresh_plan
from pstokens.operations import operations_table
from pstokens.state import State

from .conftest import ORG, Recorder, config_text, key, seed

TABLE = operations_table()

TOKENS = f"/v1/organizations/{ORG}/service-tokens"
# Every plan also reads the audit log once, for leaks (beside the list, so first or not).
AUDIT_LOG = f"GET /v1/organizations/{ORG}/audit-log"


def client_for(store: EmulatorStore, recorder_args: dict[str, bool]) -> tuple[
    PlanetScaleClient, Recorder
]:
    app = create_app(EmulatorSettings(), store)
    recorder = Recorder(httpx.ASGITransport(app=app), **recorder_args)
    client = PlanetScaleClient(
        "http://emulator.test/v1", Credentials.bearer("perf-tests"), transport=recorder,
        rate_limit=0,
    )
    return client, recorder


async def plan_with(
    store: EmulatorStore, state: State, managed: int, *, strip: bool,
    targets: frozenset[str] = frozenset(),
) -> Recorder:
    config = parse_config(config_text(key(i) for i in range(managed)))
    client, recorder = client_for(store, {"strip_embedded": strip})
    async with client:
        plan = await fresh_plan(client, config, state, PlanOptions(targets=targets), table=TABLE)
    assert not plan.has_changes, plan.changes[:3]
    return recorder


def access_reads(recorder: Recorder) -> list[str]:
    return [r for r in recorder.requests if r.startswith("GET ") and r.endswith("/access")]


async def test_without_embedded_accesses_each_managed_token_is_read_once() -> None:
    store = EmulatorStore()
    state = seed(store, managed=120, unmanaged=60)

    recorder = await plan_with(store, state, 120, strip=True)

    pages = math.ceil(180 / 100)
    assert recorder.count("GET", "/service-tokens") == pages
    managed_ids = {record.id for record in state.tokens.values() if record.id}
    read_ids = [r.split("/")[-2] for r in access_reads(recorder)]
    assert sorted(read_ids) == sorted(managed_ids)  # each managed token once, no stranger
    assert len(recorder.requests) == pages + 120 + 1  # and the audit log
    assert recorder.requests.count(AUDIT_LOG) == 1


async def test_with_a_target_only_that_token_is_read() -> None:
    store = EmulatorStore()
    state = seed(store, managed=30, unmanaged=5)

    recorder = await plan_with(store, state, 30, strip=True, targets=frozenset({key(7)}))

    assert access_reads(recorder) == [f"GET {TOKENS}/{state.tokens[key(7)].id}/access"]
    assert recorder.count("GET", "/service-tokens") == 1


async def test_with_embedded_accesses_no_token_is_read() -> None:
    store = EmulatorStore()
    state = seed(store, managed=120, unmanaged=60)

    recorder = await plan_with(store, state, 120, strip=False)

    assert sorted(recorder.requests) == sorted([f"GET {TOKENS}"] * 2 + [AUDIT_LOG])
