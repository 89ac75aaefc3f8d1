"""The adapters' writes hold the state lock: refused naming the holder while a run holds it.

The test itself holds the lock, as a plan or apply would (a lock file of its
own, so the adapters see a holder that is not them). Where a write must wait,
the test learns it is waiting from the store it waits on, never from a clock.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from pstokens.adapters import (
    AdapterServers,
    ToolBackend,
    WriteGuard,
    bound,
    create_mcp_app,
    create_rest_app,
)
from pstokens.api import PlanetScaleClient
from pstokens.state import FileStateStore, LockHolder, State, StateStore, TokenRecord

from .conftest import SERVE_TOKEN, Emulator, Seen, mcp_session, rest_caller
from .test_mcp import call, fail

TOKENS = "/v1/organizations/{org}/service-tokens"
WAIT = 60.0  # how long a test waits for an event that must come; never a pass condition


class WatchedStores:
    """The organizations' state files, each telling the test when an adapter asks for its lock."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.asked = threading.Event()

    def __call__(self, org: str) -> StateStore:
        return _Watched(FileStateStore(self.state_dir / f"{org}.json"), self.asked)

    def file(self, org: str) -> FileStateStore:
        """A store of the same file, as another run (a plan, an apply) opens it."""
        return FileStateStore(self.state_dir / f"{org}.json")

    async def asked_for_lock(self) -> None:
        assert await asyncio.to_thread(self.asked.wait, WAIT), "no write asked for the lock"


class _Watched:
    def __init__(self, store: FileStateStore, asked: threading.Event) -> None:
        self._store = store
        self._asked = asked

    @property
    def location(self) -> str:
        return self._store.location

    def exists(self) -> bool:
        return self._store.exists()

    def load(self, organization: str) -> State:
        return self._store.load(organization)

    def save(self, state: State) -> State:
        return self._store.save(state)

    def locked(self, timeout: float = 0.0) -> AbstractContextManager[None]:
        self._asked.set()
        return self._store.locked(timeout)

    def unlock(self, lock_id: str) -> LockHolder:
        return self._store.unlock(lock_id)


@pytest.fixture
def stores(state_dir: Path) -> WatchedStores:
    return WatchedStores(state_dir)


@pytest.fixture
def lock_timeout() -> float:
    return 0.0


@pytest.fixture
async def guarded(
    client: PlanetScaleClient, stores: WatchedStores, lock_timeout: float, tmp_path: Path
) -> AsyncIterator[AdapterServers]:
    """Both adapters, their writes guarded by the watched stores' locks."""
    guard = WriteGuard(stores, lock_timeout)
    backend = ToolBackend(client, stores, root=tmp_path)
    with bound("127.0.0.1", 0) as rest_socket, bound("127.0.0.1", 0) as mcp_socket:
        adapters = AdapterServers(
            [
                ("REST", create_rest_app(client, SERVE_TOKEN, guard=guard), rest_socket, "/"),
                ("MCP", create_mcp_app(client, SERVE_TOKEN, backend=backend, guard=guard),
                 mcp_socket, "/mcp"),
            ],
            log_config=None,
        )
        async with adapters.running():
            yield adapters


@pytest.fixture
async def rest(guarded: AdapterServers, seen: Seen) -> AsyncIterator[httpx.AsyncClient]:
    async with rest_caller(guarded, seen, f"Bearer {SERVE_TOKEN}") as caller:
        yield caller


@pytest.fixture
def held(stores: WatchedStores, org: str) -> Iterator[Callable[[], None]]:
    """The organization's state locked by "another run" until the test calls what it yields."""
    lock = stores.file(org).locked()
    lock.__enter__()
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            lock.__exit__(None, None, None)

    yield release
    release()


Write = Callable[[httpx.AsyncClient, str, str], Awaitable[httpx.Response]]


def rest_writes() -> dict[str, tuple[Write, int]]:
    """Each REST write on a token `tid` of `org`, and its status once it goes through."""

    def path(org: str, tid: str = "") -> str:
        return TOKENS.format(org=org) + (f"/{tid}" if tid else "")

    return {
        "create": (lambda rest, org, tid: rest.post(path(org), json={"name": "new"}), 200),
        "delete": (lambda rest, org, tid: rest.delete(path(org, tid)), 204),
        "grant": (lambda rest, org, tid: rest.post(
            path(org, tid) + "/accesses", json={"access": ["read_databases"]}), 200),
        "revoke": (lambda rest, org, tid: rest.request(
            "DELETE", path(org, tid) + "/access", json={"access": ["read_branch"],
                                                         "database": "app-prod"}), 200),
    }


def world(emulator: Emulator, org: str) -> list[tuple[str | None, list[str]]]:
    """Every token of `org` with its accesses: what a refused write must leave alone."""
    return sorted(
        (token["name"], sorted(a["access"] for a in emulator.store.accesses(org, token["id"])))
        for token in emulator.store.tokens(org)
    )


@pytest.mark.parametrize("write", list(rest_writes()))
async def test_a_rest_write_is_409_state_locked_naming_the_holder_and_goes_through_after(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, held: Callable[[], None], write: str
) -> None:
    token, _ = emulator.store.create_token(org, "target")
    emulator.store.grant(org, token["id"], ["read_branch"], "app-prod")
    before = world(emulator, org)
    send, ok = rest_writes()[write]

    refused = await send(rest, org, token["id"])
    read = await rest.get(TOKENS.format(org=org))  # reads take no lock
    unchanged = world(emulator, org)
    held()
    done = await send(rest, org, token["id"])

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "state_locked"
    assert f"is locked by pid {os.getpid()} on " in body["message"]
    assert "nothing was sent to PlanetScale" in body["message"]
    assert unchanged == before
    assert read.status_code == 200
    assert done.status_code == ok, done.text
    assert world(emulator, org) != before


MCP_WRITES: dict[str, dict[str, Any]] = {
    "create-service-token": {"name": "new"},
    "delete-service-token": {},
    "grant-service-token-access": {"access": ["read_databases"]},
    "revoke-service-token-access": {"access": ["read_branch"], "database": "app-prod"},
}


@pytest.mark.parametrize("tool", list(MCP_WRITES))
async def test_an_mcp_write_is_a_tool_error_naming_the_holder_and_goes_through_after(
    guarded: AdapterServers, seen: Seen, emulator: Emulator, org: str,
    held: Callable[[], None], tool: str,
) -> None:
    token, _ = emulator.store.create_token(org, "target")
    emulator.store.grant(org, token["id"], ["read_branch"], "app-prod")
    before = world(emulator, org)
    arguments = {"organization": org, **MCP_WRITES[tool]}
    if tool != "create-service-token":
        arguments["service_token_id"] = token["id"]

    async with mcp_session(guarded, seen) as session:
        refused = await fail(session, tool, **arguments)
        unchanged = world(emulator, org)
        held()
        await call(session, tool, **arguments)

    assert f"is locked by pid {os.getpid()} on " in refused
    assert "nothing was sent to PlanetScale" in refused
    assert unchanged == before
    assert world(emulator, org) != before


@pytest.mark.parametrize("lock_timeout", [WAIT])
async def test_a_write_waits_for_the_lock_while_the_adapters_keep_serving(
    rest: httpx.AsyncClient, stores: WatchedStores, emulator: Emulator, org: str,
    held: Callable[[], None],
) -> None:
    creating = asyncio.create_task(rest.post(TOKENS.format(org=org), json={"name": "patient"}))
    await stores.asked_for_lock()

    listed = await rest.get(TOKENS.format(org=org))  # answered while the create waits
    waiting = not creating.done()
    created_meanwhile = emulator.store.token_count(org)
    held()
    created = await creating

    assert listed.status_code == 200 and listed.json()["data"] == []
    assert waiting and created_meanwhile == 0
    assert created.status_code == 200 and created.json()["name"] == "patient"


@pytest.mark.parametrize("lock_timeout", [WAIT])
async def test_prevent_destroy_is_decided_on_the_state_read_under_the_lock(
    rest: httpx.AsyncClient, stores: WatchedStores, emulator: Emulator, org: str,
    held: Callable[[], None],
) -> None:
    """An apply that protects the token while the delete waits wins: the delete
    reads state only once it holds the lock."""
    token, _ = emulator.store.create_token(org, "precious")
    deleting = asyncio.create_task(rest.delete(f"{TOKENS.format(org=org)}/{token['id']}"))
    await stores.asked_for_lock()

    record = TokenRecord(id=token["id"], name="precious", prevent_destroy=True)
    stores.file(org).save(State.new(org).with_token("precious", record))  # as the holder
    held()
    refused = await deleting

    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict"
    assert "prevent_destroy" in refused.json()["message"]
    assert emulator.store.token_count(org) == 1


async def test_writes_in_flight_together_do_not_lock_each_other_out(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    answers = await asyncio.gather(
        *(rest.post(TOKENS.format(org=org), json={"name": f"t{n}"}) for n in range(8))
    )

    assert [answer.status_code for answer in answers] == [200] * 8
    assert emulator.store.token_count(org) == 8


async def test_a_write_is_refused_when_the_lock_cannot_be_taken(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, state_dir: Path
) -> None:
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    state_dir.write_text("a file where the state folder should be")

    response = await rest.post(TOKENS.format(org=org), json={"name": "x"})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "the state lock could not be taken" in response.json()["message"]
    assert emulator.store.token_count(org) == 0


async def test_deletes_in_more_organizations_than_the_loops_thread_pool_all_go_through(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, stores: WatchedStores
) -> None:
    """Each delete holds its organization's lock while it reads that state: 40 at
    once (more than asyncio's default pool has threads) must not wait on each other."""
    orgs = [f"{org}-{n}" for n in range(40)]
    tokens = [emulator.store.create_token(name, "doomed")[0]["id"] for name in orgs]
    for name in orgs:
        stores.file(name).save(State.new(name))

    answers = await asyncio.wait_for(asyncio.gather(*(
        rest.delete(f"{TOKENS.format(org=name)}/{token}")
        for name, token in zip(orgs, tokens, strict=True)
    )), WAIT)

    assert [answer.status_code for answer in answers] == [204] * 40
    assert sum(emulator.store.token_count(name) for name in orgs) == 0
