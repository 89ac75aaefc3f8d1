"""Plan and apply over a real emulator, in-process, timed and counted.

Each step does what `pstokens plan` or `pstokens apply --auto-approve` does
after start-up: load the config and state, read the organization, plan, and
for apply carry the plan out, writing state and secrets to a scratch folder.
Calls are counted by the emulator itself, so nothing the client hides escapes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from benchmarks.server import EmulatorProcess
from pstokens.api import Credentials, PlanetScaleClient
from pstokens.api.models import TOKEN_LEAKED
from pstokens.config import Rules, load_config
from pstokens.delivery import DirectorySink
from pstokens.engine.applying.apply import Applier
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.inventory.report import Report, build_report
from pstokens.engine.planning.outcome import Outcome
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions
from pstokens.engine.reading.fresh import fresh_plan
from pstokens.engine.reading.observe import read_organization
from pstokens.operations import operations_table
from pstokens.render import render_text
from pstokens.render.formats import REPORT
from pstokens.state import FileStateStore

TABLE = operations_table()

T = TypeVar("T")

# Two databases, two accesses each: one grant call per database per new token.
DATABASES = {
    "app-prod": ["read_branch", "create_deploy_request"],
    "app-staging": ["read_branch", "create_branch"],
}
# Every rule on, so the report checks each token against all of them.
REPORT_RULES = Rules(forbid_accesses=frozenset({"create_branch"}), require_ttl=True,
                     max_ttl=90 * 86400)
NO_EVENTS = (b'{"type":"list","has_next":false,"has_prev":false,"cursor_start":null,'
             b'"cursor_end":null,"data":[]}')
API_KEY = "benchmark-api-key"  # the emulator accepts any credentials by default


@dataclass
class Measured:
    """One timed step and the calls the emulator saw during it."""

    seconds: float
    calls: int
    by_route: dict[str, int]
    rate_limited: int
    failed: bool = False
    detail: dict[str, float] = field(default_factory=dict)

    def count(self, method: str, suffix: str) -> int:
        return sum(n for route, n in self.by_route.items()
                   if route.startswith(method + " ") and route.endswith(suffix))

    @property
    def reads(self) -> int:
        return sum(n for route, n in self.by_route.items() if route.startswith("GET "))

    @property
    def writes(self) -> int:
        return self.calls - self.reads


def config_yaml(organization: str, count: int) -> str:
    lines = [f"organization: {organization}", "tokens:"]
    databases = "".join(
        f"\n        {db}: [{', '.join(names)}]" for db, names in DATABASES.items()
    )
    for i in range(count):
        lines.append(f"  tok-{i:05d}:\n    accesses:\n      databases:{databases}")
    return "\n".join(lines) + "\n"


class Workspace:
    """A config, a state file and a secrets folder for one organization."""

    def __init__(self, root: Path, organization: str, emulator: EmulatorProcess) -> None:
        self.root = root
        self.organization = organization
        self.emulator = emulator
        self.config_path = root / "pstokens.yaml"
        self.store = FileStateStore(root / "state" / f"{organization}.json")
        self.secrets = root / "secrets"

    def write_config(self, count: int) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(config_yaml(self.organization, count))

    def client(
        self, *, parallelism: int, rate_limit: int, strip_embedded: bool = False
    ) -> PlanetScaleClient:
        transport: httpx.AsyncBaseTransport | None = None
        if strip_embedded:
            limits = httpx.Limits(max_connections=parallelism,
                                  max_keepalive_connections=parallelism)
            transport = StripEmbeddedAccesses(httpx.AsyncHTTPTransport(limits=limits))
        return PlanetScaleClient(
            self.emulator.url, Credentials.bearer(API_KEY), transport=transport,
            rate_limit=rate_limit, parallelism=parallelism,
        )

    async def plan(self, client: PlanetScaleClient) -> tuple[Plan, Measured]:
        """`pstokens plan` after start-up; `detail["reads_and_planner"]` is fresh_plan alone."""
        detail: dict[str, float] = {}

        async def body() -> Plan:
            started = time.perf_counter()
            config = load_config(self.config_path)
            state = self.store.load(self.organization)
            gc.freeze()  # as `pstokens plan` does once it has them (cli/context.py)
            detail["config_and_state"] = time.perf_counter() - started
            with self.store.locked():
                began = time.perf_counter()
                plan = await fresh_plan(client, config, state, PlanOptions(), table=TABLE)
                detail["reads_and_planner"] = time.perf_counter() - began
            began = time.perf_counter()
            render_text(plan)
            detail["render"] = time.perf_counter() - began
            return plan

        plan, measured = await self.measure(body)
        measured.detail = detail
        return plan, measured

    async def apply(self, client: PlanetScaleClient) -> tuple[Plan, Measured]:
        """`pstokens apply --auto-approve` after start-up: fresh plan, then carry it out."""
        detail: dict[str, float] = {}
        errors: list[str] = []

        async def body() -> Plan:
            config = load_config(self.config_path)
            state = self.store.load(self.organization)
            with self.store.locked():
                began = time.perf_counter()
                plan = await fresh_plan(client, config, state, PlanOptions(), table=TABLE)
                detail["plan"] = time.perf_counter() - began
                writer = StateWriter(self.store, state)
                applier = Applier(client, writer, DirectorySink(self.secrets), QuietReporter())
                began = time.perf_counter()
                result = await applier.apply(plan)
                detail["writes"] = time.perf_counter() - began
                errors.extend(result.errors)
            return plan

        plan, measured = await self.measure(body)
        measured.detail = detail
        measured.failed = bool(errors)
        return plan, measured

    async def report(self, client: PlanetScaleClient) -> tuple[Report, Measured]:
        """`pstokens report` after start-up, every format rendered; `detail` holds the
        CPU seconds of building the report from the pages, and of each format."""
        detail: dict[str, float] = {}

        async def body() -> Report:
            config = load_config(self.config_path)
            state = self.store.load(self.organization)
            live = await read_organization(client, self.organization, lambda t: True,
                                           expected=len(state.managed_ids()))
            began = time.process_time()
            report = build_report(self.organization, live.values(), state, REPORT_RULES,
                                  datetime.now(UTC))
            detail["build"] = time.process_time() - began
            for fmt in ("text", "markdown", "html", "json"):
                began = time.process_time()
                REPORT.render(fmt, report=report, config=None)
                detail[fmt] = time.process_time() - began
            assert config.organization == self.organization
            return report

        report, measured = await self.measure(body)
        measured.detail = detail
        return report, measured

    async def raw_pages(self, pages: int, parallelism: int,
                        *, audit_log: bool = False) -> tuple[float, list[bytes]]:
        """Seconds to fetch the list pages with bare httpx, nothing parsed: the floor
        the emulator itself sets (its latency plus building and sending each page).
        With `audit_log`, the plan's one audit-log read goes too, last (as a plan asks)."""
        url = f"{self.emulator.url}/organizations/{self.organization}/service-tokens"
        limits = httpx.Limits(max_connections=parallelism)
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(limits=limits, headers=headers) as http:
            await http.get(url, params={"page": 1, "per_page": 1})  # open a connection
            started = time.perf_counter()
            calls = [http.get(url, params={"page": n, "per_page": 100})
                     for n in range(1, pages + 1)]
            if audit_log:
                calls.append(http.get(
                    f"{self.emulator.url}/organizations/{self.organization}/audit-log",
                    params={"limit": 100, "filters[]": f"audit_action:{TOKEN_LEAKED}"}))
            answers = await asyncio.gather(*calls)
            seconds = time.perf_counter() - started
        for answer in answers:
            answer.raise_for_status()
        return seconds, [answer.content for answer in answers[:pages]]

    async def local_plan(self, bodies: list[bytes]) -> tuple[float, float]:
        """Seconds of `fresh_plan` with the list pages served from memory, pstokens'
        own work: (CPU, wall). It does no I/O, so on a shared machine CPU is its cost."""

        def serve(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/audit-log"):  # the plan's leak check: no events
                return httpx.Response(200, content=NO_EVENTS,
                                      headers={"content-type": "application/json"})
            return httpx.Response(200, content=bodies[int(request.url.params["page"]) - 1],
                                  headers={"content-type": "application/json"})

        config = load_config(self.config_path)
        state = self.store.load(self.organization)
        client = PlanetScaleClient(self.emulator.url, Credentials.bearer(API_KEY),
                                   transport=httpx.MockTransport(serve), rate_limit=0)
        gc.collect()  # this process's earlier steps' garbage; a `pstokens plan` has none
        gc.freeze()
        async with client:
            wall, cpu = time.perf_counter(), time.process_time()
            await fresh_plan(client, config, state, PlanOptions(), table=TABLE)
            return time.process_time() - cpu, time.perf_counter() - wall

    async def measure(self, step: Callable[[], Awaitable[T]]) -> tuple[T, Measured]:
        self.emulator.reset_stats()
        started = time.perf_counter()
        value = await step()
        seconds = time.perf_counter() - started
        stats = self.emulator.stats()
        by_route = {route: sum(counts.values()) for route, counts in stats["by_route"].items()}
        return value, Measured(seconds, stats["total"], by_route, stats["rate_limited"])


class StripEmbeddedAccesses(httpx.AsyncBaseTransport):
    """Removes `service_token_accesses` from list items, as an API that does not embed them."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method != "GET" or not request.url.path.endswith("/service-tokens"):
            return response
        content = await response.aread()
        await response.aclose()
        body: Any = json.loads(content)
        for item in body.get("data") or []:
            item.pop("service_token_accesses", None)
        return httpx.Response(
            response.status_code,
            headers={"content-type": "application/json"},
            content=json.dumps(body).encode(),
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class QuietReporter:
    def report(self, outcome: Outcome) -> None:
        pass
