"""Latency, rate limit, injected failures and dropped responses."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from pstokens.emulator import EmulatorSettings, ResponseDropped, create_app
from pstokens.emulator.faults import Faults, SlidingWindow

from .conftest import AUTH, Emulator

PATH = "/organizations/acme/service-tokens"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_past_the_limit_the_answer_is_429_without_retry_after(
    emulator: Callable[..., Emulator],
) -> None:
    clock = FakeClock()
    emu = emulator(EmulatorSettings(rate_limit=3), clock=clock)

    statuses = [emu.api.get(PATH).status_code for _ in range(3)]
    refused = emu.api.post(PATH, json={"name": "over"})

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "retry-after" not in refused.headers
    assert not [h for h in refused.headers if h.lower().startswith("x-ratelimit")]
    assert emu.store.tokens("acme") == []
    assert emu.stats()["rate_limited"] == 1

    other_caller = emu.api.get(PATH, headers={"Authorization": "other:caller"})
    assert other_caller.status_code == 200

    clock.now += 60
    assert emu.api.get(PATH).status_code == 200


def test_a_client_pacing_at_exactly_the_limit_is_never_refused(
    emulator: Callable[..., Emulator],
) -> None:
    clock = FakeClock()
    emu = emulator(EmulatorSettings(rate_limit=6), clock=clock)

    statuses = []
    for _ in range(20):
        statuses.append(emu.api.get(PATH).status_code)
        clock.now += 10  # 6 a minute, exactly

    assert statuses == [200] * 20
    for _ in range(5):
        emu.api.get(PATH)
    assert emu.api.get(PATH).status_code == 429


def test_refused_requests_do_not_extend_the_wait() -> None:
    clock = FakeClock()
    window = SlidingWindow(2, clock=clock)

    allowed = [window.allow("me"), window.allow("me")]
    for _ in range(59):
        clock.now += 1
        assert not window.allow("me")
    clock.now += 1

    assert allowed == [True, True]
    assert window.allow("me")


def test_fail_rate_one_answers_500_and_performs_nothing(
    emulator: Callable[..., Emulator],
) -> None:
    emu = emulator(EmulatorSettings(fail_rate=1.0))
    token, _secret = emu.store.create_token("acme", "kept")

    created = emu.api.post(PATH, json={"name": "never"})
    deleted = emu.api.delete(f"{PATH}/{token['id']}")
    listed = emu.api.get(PATH)

    for response in (created, deleted, listed):
        assert response.status_code == 500
        assert response.json()["code"] == "internal_error"
    assert [t["name"] for t in emu.store.tokens("acme")] == ["kept"]
    assert emu.stats()["failed"] == 3
    assert emu.admin.get("/_emulator/stats").status_code == 200


def test_lost_writes_are_performed_but_the_client_sees_a_broken_connection(
    emulator: Callable[..., Emulator],
) -> None:
    emu = emulator(EmulatorSettings(lose_rate=1.0, seed=3))

    with pytest.raises(httpx.RemoteProtocolError):
        emu.api.post(PATH, json={"name": "lost-create"})
    (token,) = emu.store.tokens("acme")
    assert token["name"] == "lost-create"

    with pytest.raises(httpx.TransportError):
        emu.api.post(f"{PATH}/{token['id']}/access", json={"access": ["read_databases"]})
    assert [a["access"] for a in emu.store.accesses("acme", token["id"])] == ["read_databases"]

    # A 204 cannot announce a body, yet the lost delete must still look broken.
    with pytest.raises(httpx.TransportError):
        emu.api.delete(f"{PATH}/{token['id']}")
    assert emu.store.tokens("acme") == []

    assert emu.api.get(PATH).status_code == 200  # reads are never lost
    assert emu.stats()["lost"] == 3
    assert emu.stats()["by_status"] == {"200": 3, "204": 1}


def test_a_refused_write_is_answered_even_when_losing(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(EmulatorSettings(lose_rate=1.0))

    response = emu.api.post(PATH, json={"ttl": "soon"})

    assert response.status_code == 422
    assert emu.stats()["lost"] == 0


async def test_in_process_a_lost_write_raises_a_transport_error() -> None:
    app = create_app(EmulatorSettings(lose_rate=1.0))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator/v1", headers=AUTH
    ) as client:
        with pytest.raises(httpx.TransportError) as caught:
            await client.post(PATH, json={"name": "lost"})

    assert isinstance(caught.value, ResponseDropped)
    assert [t["name"] for t in app.state.store.tokens("acme")] == ["lost"]


def test_the_same_seed_makes_the_same_faults() -> None:
    settings = EmulatorSettings(fail_rate=0.5, lose_rate=0.5, seed=42)

    def decisions() -> list[bool]:
        faults = Faults(settings)
        return [d for _ in range(50) for d in (faults.should_fail(), faults.should_lose("POST"))]

    first = decisions()
    assert first == decisions()
    assert 10 < sum(first) < 90


def test_latency_delays_every_api_answer(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(EmulatorSettings(latency_ms=40))

    started = time.monotonic()
    response = emu.api.get(PATH)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.04
