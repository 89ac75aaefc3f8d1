from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import respx

from pstokens.api import Credentials, PlanetScaleClient, RetryPolicy

from .helpers import AUTH_ID, AUTH_SECRET, BASE_URL, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A mocked PlanetScale: every request must match a route, none reaches the network."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def credentials() -> Credentials:
    return Credentials.service_token(AUTH_ID, AUTH_SECRET)


@pytest.fixture
async def make_client(
    clock: FakeClock, credentials: Credentials
) -> AsyncIterator[Callable[..., PlanetScaleClient]]:
    """Build clients on the fake clock; no pacing and exact (unjittered) backoff by default."""
    made: list[PlanetScaleClient] = []

    def make(**options: Any) -> PlanetScaleClient:
        options.setdefault("credentials", credentials)
        options.setdefault("clock", clock)
        options.setdefault("rate_limit", 0)
        options.setdefault("retry", RetryPolicy(jitter="none"))
        client = PlanetScaleClient(BASE_URL, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., PlanetScaleClient]) -> PlanetScaleClient:
    return make_client()
