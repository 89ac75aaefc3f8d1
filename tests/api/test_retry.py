from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
import respx

from pstokens.api import (
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    NotFound,
    PlanetScaleClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    Unauthorized,
)
from pstokens.api.retry import Fault, Verdict, classify, parse_retry_after

from .helpers import ORG, FakeClock, envelope, token_json

TOKENS = f"/organizations/{ORG}/service-tokens"
TOKEN = f"{TOKENS}/a00000000001"

# The policy on its own


def test_backoff_grows_exponentially_from_the_base_delay() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0, jitter="none")
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_backoff_is_capped_at_max_delay() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter="none")
    assert [policy.delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    assert policy.delay(10_000) == 5.0


def test_full_jitter_stays_between_zero_and_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0, jitter="full", rng=random.Random(7))
    for attempt in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # it does spread, not collapse to zero


def test_decorrelated_jitter_stays_between_base_and_three_times_the_last_delay() -> None:
    policy = RetryPolicy(
        base_delay=0.5, max_delay=30.0, jitter="decorrelated", rng=random.Random(3)
    )
    previous = None
    for attempt in range(1, 40):
        delay = policy.delay(attempt, previous=previous)
        upper = min(30.0, 3 * (previous if previous is not None else 0.5))
        assert 0.5 <= delay <= max(0.5, upper)
        previous = delay


def test_a_seeded_policy_repeats_its_delays() -> None:
    def draws(seed: int) -> list[float]:
        policy = RetryPolicy(rng=random.Random(seed))
        return [policy.delay(n) for n in range(1, 6)]

    assert draws(42) == draws(42)


def test_retry_after_wins_over_backoff_and_is_bounded() -> None:
    policy = RetryPolicy(jitter="none", max_retry_after=120.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=10_000.0) == 120.0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1_767_225_600.0
    when = datetime.fromtimestamp(now + 12, tz=UTC)
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after(format_datetime(when, usegmt=True), now) == 12.0
    assert parse_retry_after(format_datetime(datetime.fromtimestamp(now - 5, tz=UTC)), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("nan", now) is None


@pytest.mark.parametrize(
    ("status", "idempotent", "verdict"),
    [
        (429, True, Verdict.RETRY),
        (429, False, Verdict.RETRY),
        (500, True, Verdict.RETRY),
        (502, True, Verdict.RETRY),
        (503, True, Verdict.RETRY),
        (504, True, Verdict.RETRY),
        (500, False, Verdict.UNKNOWN),
        (503, False, Verdict.UNKNOWN),
        (501, True, Verdict.FAIL),
        (501, False, Verdict.FAIL),  # a refusal as a whole: nothing was created
        (505, False, Verdict.FAIL),
        (507, False, Verdict.UNKNOWN),
        (400, True, Verdict.FAIL),
        (401, True, Verdict.FAIL),
        (403, True, Verdict.FAIL),
        (404, True, Verdict.FAIL),
        (422, False, Verdict.FAIL),
    ],
)
def test_status_classification(status: int, idempotent: bool, verdict: Verdict) -> None:
    assert classify(status=status, idempotent=idempotent) is verdict


@pytest.mark.parametrize(
    ("fault", "idempotent", "verdict"),
    [
        (Fault.NOT_SENT, True, Verdict.RETRY),
        (Fault.NOT_SENT, False, Verdict.RETRY),
        (Fault.LOST, True, Verdict.RETRY),
        (Fault.LOST, False, Verdict.UNKNOWN),
        (Fault.FATAL, True, Verdict.FAIL),
    ],
)
def test_transport_fault_classification(fault: Fault, idempotent: bool, verdict: Verdict) -> None:
    assert classify(fault=fault, idempotent=idempotent) is verdict


# The policy applied by the client


async def test_a_429_then_200_succeeds_after_one_backoff(
    api: respx.MockRouter, client: PlanetScaleClient, clock: FakeClock
) -> None:
    route = api.get(TOKENS).mock(
        side_effect=[httpx.Response(429), httpx.Response(200, json=envelope([token_json("a1")]))]
    )
    assert len(await client.list_tokens(ORG)) == 1
    assert route.call_count == 2
    assert clock.sleeps == [0.5]
    assert client.stats.rate_limited == 1
    assert client.stats.retries == 1


async def test_retry_after_seconds_are_honoured(
    api: respx.MockRouter, client: PlanetScaleClient, clock: FakeClock
) -> None:
    api.get(TOKEN).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503, headers={"Retry-After": "2"}),
            httpx.Response(200, json=token_json("a00000000001")),
        ]
    )
    await client.get_token(ORG, "a00000000001")
    assert clock.sleeps == [7.0, 2.0]


async def test_retry_after_dates_are_honoured(
    api: respx.MockRouter, client: PlanetScaleClient, clock: FakeClock
) -> None:
    when = datetime.fromtimestamp(clock.time() + 12, tz=UTC)
    api.get(TOKEN).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}),
            httpx.Response(200, json=token_json("a00000000001")),
        ]
    )
    await client.get_token(ORG, "a00000000001")
    assert clock.sleeps == [12.0]


async def test_five_500s_exhaust_five_attempts_and_raise_server_error(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    route = api.get(TOKEN).respond(500, json={"code": "internal", "message": "boom"})
    client = make_client(retry=RetryPolicy(max_attempts=5, jitter="none"))
    with pytest.raises(ServerError) as caught:
        await client.get_token(ORG, "a00000000001")
    assert route.call_count == 5
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert "after 5 attempts" in str(caught.value)
    assert caught.value.status == 500


async def test_default_policy_makes_six_attempts_with_capped_growth(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    route = api.get(TOKEN).respond(502)
    client = make_client(retry=RetryPolicy(base_delay=1.0, max_delay=5.0, jitter="none"))
    with pytest.raises(ServerError):
        await client.get_token(ORG, "a00000000001")
    assert route.call_count == 6
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_jittered_delays_between_attempts_are_bounded(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    api.get(TOKEN).respond(503)
    client = make_client(retry=RetryPolicy(jitter="full", rng=random.Random(1)))
    with pytest.raises(ServerError):
        await client.get_token(ORG, "a00000000001")
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(clock.sleeps) == 5
    assert all(0.0 <= d <= c for d, c in zip(clock.sleeps, ceilings, strict=True))


async def test_rate_limited_when_429s_outlast_the_retries(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKEN).respond(429, json={"code": "rate_limited", "message": "slow down"})
    with pytest.raises(RateLimited) as caught:
        await client.get_token(ORG, "a00000000001")
    assert route.call_count == 6
    assert caught.value.hint is not None and "--rate-limit" in caught.value.hint


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InvalidRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (422, InvalidRequest),
    ],
)
async def test_client_errors_are_never_retried(
    api: respx.MockRouter,
    client: PlanetScaleClient,
    clock: FakeClock,
    status: int,
    error: type[Exception],
) -> None:
    route = api.delete(TOKEN).respond(status)
    with pytest.raises(error):
        await client.delete_token(ORG, "a00000000001")
    assert route.call_count == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.ReadError,
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.WriteError,
        httpx.PoolTimeout,
    ],
)
async def test_transport_errors_are_retried_for_reads_and_deletes(
    api: respx.MockRouter, client: PlanetScaleClient, failure: type[Exception]
) -> None:
    get = api.get(TOKEN).mock(side_effect=[failure, httpx.Response(200, json=token_json("a1"))])
    delete = api.delete(TOKEN).mock(side_effect=[failure, httpx.Response(204)])
    await client.get_token(ORG, "a00000000001")
    await client.delete_token(ORG, "a00000000001")
    assert (get.call_count, delete.call_count) == (2, 2)
    assert client.stats.transport_errors == 2


async def test_a_network_that_stays_down_raises_connection_failed(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKEN).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectionFailed, match="after 6 attempts") as caught:
        await client.get_token(ORG, "a00000000001")
    assert route.call_count == 6
    assert caught.value.__context__ is None and caught.value.__cause__ is None


async def test_stats_count_requests_statuses_and_retries(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(TOKEN).mock(
        side_effect=[
            httpx.Response(429),
            httpx.ReadError("reset"),
            httpx.Response(500),
            httpx.Response(200, json=token_json("a1")),
        ]
    )
    await client.get_token(ORG, "a00000000001")
    stats = client.stats
    assert stats.requests == 4
    assert stats.retries == 3
    assert stats.rate_limited == 1
    assert stats.transport_errors == 1
    assert dict(stats.responses) == {429: 1, 500: 1, 200: 1}
