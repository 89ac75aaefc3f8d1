"""Emulators over real loopback HTTP for the emulator's own tests.

Most tests share one server and stay apart by using an organization of their
own; tests that need other settings start a server of their own.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator

AUTH = {"Authorization": "emulatortest:not-a-real-secret"}
_orgs = itertools.count()


@dataclass
class Emulator:
    """A running emulator: an authenticated client on /v1, the admin client, the data."""

    base_url: str
    api: httpx.Client
    admin: httpx.Client
    store: EmulatorStore

    def tokens_path(self, org: str) -> str:
        return f"/organizations/{org}/service-tokens"

    def create(self, org: str, **body: Any) -> dict[str, Any]:
        response = self.api.post(self.tokens_path(org), json=body)
        assert response.status_code == 200, response.text
        token: dict[str, Any] = response.json()
        return token

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.admin.get("/_emulator/stats").json()
        return stats


@contextlib.contextmanager
def start_emulator(
    settings: EmulatorSettings | None = None,
    store: EmulatorStore | None = None,
    clock: Callable[[], float] = time.monotonic,
    headers: dict[str, str] | None = None,
) -> Iterator[Emulator]:
    settings = settings or EmulatorSettings()
    store = store or EmulatorStore(settings.data_path, seed=settings.seed)
    with (
        running_emulator(settings, store, clock=clock) as base_url,
        httpx.Client(base_url=base_url, headers=AUTH if headers is None else headers) as api,
        httpx.Client(base_url=base_url.removesuffix("/v1")) as admin,
    ):
        yield Emulator(base_url, api, admin, store)


@pytest.fixture(scope="session")
def shared() -> Iterator[Emulator]:
    with start_emulator() as emulator:
        yield emulator


@pytest.fixture
def org() -> str:
    """An organization no other test uses, so tests can share one server."""
    return f"org-{next(_orgs)}"


@pytest.fixture
def emulator() -> Iterator[Callable[..., Emulator]]:
    """Start an emulator with settings of the test's own; stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(settings: EmulatorSettings | None = None, **options: Any) -> Emulator:
            return stack.enter_context(start_emulator(settings, **options))

        yield start
