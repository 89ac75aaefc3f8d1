"""Fixtures for the performance tests: organizations of many managed tokens, and a
transport that records every request (and can hide embedded accesses)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from pstokens.emulator import EmulatorStore
from pstokens.state import FileStateStore, State, TokenRecord

ORG = "acme"
# Each new token costs one create and one grant per database.
DATABASES = {
    "app-prod": ("read_branch", "create_deploy_request"),
    "app-staging": ("read_branch", "create_branch"),
}
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def key(i: int) -> str:
    return f"tok-{i:05d}"


def config_text(keys: Iterable[str], organization: str = ORG) -> str:
    accesses = "".join(f"\n        {db}: [{', '.join(names)}]" for db, names in DATABASES.items())
    body = "".join(f"  {k}:\n    accesses:\n      databases:{accesses}\n" for k in keys)
    return f"organization: {organization}\nunmanaged:\n  policy: report\ntokens:\n{body or ' {}'}"


def seed(store: EmulatorStore, managed: int, unmanaged: int = 0) -> State:
    """`managed` tokens live and in state, as a finished apply leaves them, plus strangers."""
    records = {}
    for i in range(managed):
        token, _ = store.create_token(ORG, key(i), created_at=CREATED)
        for database, names in DATABASES.items():
            store.grant(ORG, token["id"], list(names), database)
        records[key(i)] = TokenRecord(
            token["id"], key(i), created_at=CREATED,
            accesses={db: frozenset(names) for db, names in DATABASES.items()},
        )
    for i in range(unmanaged):
        token, _ = store.create_token(ORG, f"stranger-{i}", created_at=CREATED - timedelta(1))
        store.grant(ORG, token["id"], ["read_branch"], "app-prod")
    return State(ORG, "lineage-of-the-perf-tests", 1, records)


def write_workspace(root: Path, state: State, managed: int) -> None:
    (root / "pstokens.yaml").write_text(config_text(key(i) for i in range(managed)))
    FileStateStore(root / "state" / f"{ORG}.json").save(state)


class Recorder(httpx.AsyncBaseTransport):
    """Records `METHOD path` of every request; with `strip_embedded`, list items lose
    `service_token_accesses`, as from an API that does not embed them."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, strip_embedded: bool = False) -> None:
        self._inner = inner
        self._strip = strip_embedded
        self.requests: list[str] = []

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for r in self.requests if r.startswith(method + " ") and r.endswith(suffix))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        response = await self._inner.handle_async_request(request)
        if not (self._strip and request.method == "GET"
                and request.url.path.endswith("/service-tokens")):
            return response
        body = json.loads(await response.aread())
        for item in body.get("data") or []:
            item.pop("service_token_accesses", None)
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self._inner.aclose()
