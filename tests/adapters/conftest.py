"""Adapter fixtures: a real emulator on loopback, both adapters on free loopback ports.

The adapters run in the test's own event loop, on one client (as `serve` runs
them); the emulator runs in its own thread. Every answer the tests read is
checked for pstokens' own credential, which must never show in one.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from pstokens.adapters import (
    AdapterServers,
    ToolBackend,
    WriteGuard,
    bound,
    create_mcp_app,
    create_rest_app,
)
from pstokens.api import Credentials, PlanetScaleClient, RetryPolicy
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from pstokens.state import FileStateStore

SERVE_TOKEN = "serve-token-for-adapter-tests-7f3a9c"  # 36 characters: serve wants 32
CRED_ID = "adaptercredid"
CRED_SECRET = "pscale_tkn_ADAPTERCREDENTIALmustNEVERleak42"
DATABASES = ("app-prod", "app-staging")


@dataclass
class Emulator:
    url: str
    store: EmulatorStore


@dataclass
class Seen:
    """Every response body the tests received, to prove no credential was in one."""

    bodies: list[str] = field(default_factory=list)

    def check(self) -> None:
        for body in self.bodies:
            assert CRED_SECRET not in body
            assert f"{CRED_ID}:" not in body


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    # It issues refresh tokens, so the tests see the adapters pass on both one-time secrets.
    store = EmulatorStore(refresh_tokens=True)
    settings = EmulatorSettings(databases=DATABASES, require_auth=f"{CRED_ID}:{CRED_SECRET}")
    with running_emulator(settings, store) as url:
        yield Emulator(url, store)


@pytest.fixture
def org() -> str:
    """An organization of this test's own on the shared emulator."""
    return f"org-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[PlanetScaleClient]:
    credentials = Credentials.service_token(CRED_ID, CRED_SECRET)
    retry = RetryPolicy(max_attempts=2, base_delay=0.0, jitter="none")
    async with PlanetScaleClient(emulator.url, credentials, rate_limit=0, retry=retry) as client:
        yield client


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def serve_config(tmp_path: Path) -> Path:
    """The config serve was "started with" (-c): outside the folder it serves, on purpose."""
    return tmp_path.parent / f"{tmp_path.name}-started" / "pstokens.yaml"


@pytest.fixture
async def servers(
    client: PlanetScaleClient, state_dir: Path, tmp_path: Path, serve_config: Path
) -> AsyncIterator[AdapterServers]:
    def state_store(org: str) -> FileStateStore:
        return FileStateStore(state_dir / f"{org}.json")

    backend = ToolBackend(client, state_store, root=tmp_path, default_config=serve_config)
    guard = WriteGuard(state_store)
    with bound("127.0.0.1", 0) as rest_socket, bound("127.0.0.1", 0) as mcp_socket:
        adapters = AdapterServers(
            [
                ("REST", create_rest_app(client, SERVE_TOKEN, guard=guard), rest_socket,
                 "/openapi.json"),
                ("MCP", create_mcp_app(client, SERVE_TOKEN, backend=backend, guard=guard),
                 mcp_socket, "/mcp"),
            ],
            log_config=None,
        )
        async with adapters.running():
            yield adapters


@pytest.fixture
def seen() -> Iterator[Seen]:
    seen = Seen()
    yield seen
    seen.check()


@pytest.fixture
async def rest(servers: AdapterServers, seen: Seen) -> AsyncIterator[httpx.AsyncClient]:
    """A REST caller holding the serve token."""
    async with rest_caller(servers, seen, f"Bearer {SERVE_TOKEN}") as caller:
        yield caller


@contextlib.asynccontextmanager
async def rest_caller(
    servers: AdapterServers, seen: Seen, authorization: str | None
) -> AsyncIterator[httpx.AsyncClient]:
    async def record(response: httpx.Response) -> None:
        await response.aread()
        seen.bodies.append(response.text + str(response.headers))

    headers = {"Authorization": authorization} if authorization is not None else {}
    async with httpx.AsyncClient(
        base_url=servers.url("REST"), headers=headers, event_hooks={"response": [record]}
    ) as caller:
        yield caller


@contextlib.asynccontextmanager
async def mcp_session(
    servers: AdapterServers, seen: Seen, token: str | None = SERVE_TOKEN
) -> AsyncIterator[Client]:
    """The official MCP client over streamable HTTP, with (or without) the bearer."""

    async def record(response: httpx2.Response) -> None:
        await response.aread()
        seen.bodies.append(response.text + str(response.headers))

    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx2.AsyncClient(headers=headers, event_hooks={"response": [record]}) as http:
        transport = streamable_http_client(servers.url("MCP") + "/mcp", http_client=http)
        async with Client(transport) as session:
            yield session
