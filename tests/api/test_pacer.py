from __future__ import annotations

import asyncio
import bisect
import itertools
from collections.abc import Callable

import httpx
import pytest
import respx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pstokens.api import PlanetScaleClient, RetryPolicy
from pstokens.api.pacer import Pacer

from .helpers import ORG, FakeClock, token_json

TOKEN_PATTERN = rf"/organizations/{ORG}/service-tokens/t\d+$"


def most_in_any_window(starts: list[float], window: float = 60.0, *, closed: bool = False) -> int:
    """The largest number of starts in any window of `window` seconds."""
    ordered = sorted(starts)
    find = bisect.bisect_right if closed else bisect.bisect_left
    return max(find(ordered, t + window) - i for i, t in enumerate(ordered))


# The pacer on its own


async def test_pacer_spaces_starts_evenly_at_the_rate(clock: FakeClock) -> None:
    pacer = Pacer(60, clock, margin=0.0)
    starts: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        starts.append(clock.monotonic())

    began = clock.monotonic()
    await asyncio.gather(*(one() for _ in range(300)))
    assert starts == [began + n * 1.0 for n in range(300)]
    assert most_in_any_window(starts) == 60


async def test_pacer_keeps_at_most_n_starts_in_any_closed_60s_window(clock: FakeClock) -> None:
    pacer = Pacer(600, clock)
    starts: list[float] = []

    async def caller(count: int) -> None:
        for _ in range(count):
            await pacer.acquire()
            starts.append(clock.monotonic())
            await clock.sleep(0.037)  # callers of their own pace, overlapping

    await asyncio.gather(*(caller(150) for _ in range(13)))
    assert len(starts) == 1950
    assert most_in_any_window(starts, closed=True) <= 600
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.1


async def test_a_pause_holds_every_caller_including_those_already_waiting(
    clock: FakeClock,
) -> None:
    pacer = Pacer(60, clock, margin=0.0)
    began = clock.monotonic()
    starts: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        starts.append(clock.monotonic() - began)

    waiting = [asyncio.ensure_future(one()) for _ in range(4)]
    await clock.sleep(0.5)  # the first has started, three have reserved slots 1, 2, 3
    pacer.pause(10.0)
    await asyncio.gather(*waiting)
    assert starts == [0.0, 10.5, 11.5, 12.5]


async def test_a_burst_goes_at_once_and_the_minute_still_holds_the_rate(
    clock: FakeClock,
) -> None:
    pacer = Pacer(600, clock, burst=10)
    starts: list[float] = []

    async def caller(count: int) -> None:
        for _ in range(count):
            await pacer.acquire()
            starts.append(clock.monotonic())
            await clock.sleep(0.037)

    began = clock.monotonic()
    await asyncio.gather(*(caller(150) for _ in range(13)))
    assert starts[:10] == pytest.approx([began] * 10)
    assert most_in_any_window(starts, closed=True) <= 600
    # No second burst while callers keep coming: past the first, starts are spread.
    assert most_in_any_window(starts[10:], window=1.0) <= 10
    # The steady rate gives up only the burst: 590 more a minute, less the margin.
    assert len(starts) / (starts[-1] - began) * 60 >= 0.97 * 590


@settings(max_examples=200, deadline=None, database=None)
@example(rate=10, burst_share=0.5, margin=0.001, pauses=[0.0] * 120)
@example(rate=600, burst_share=0.02, margin=0.01, pauses=[0.0] * 400)
@example(rate=120, burst_share=0.1, margin=0.001, pauses=[0.0, 30.0, 0.0, 0.0] * 60)
@given(
    rate=st.integers(1, 700),
    burst_share=st.floats(0, 1),
    margin=st.sampled_from([0.001, 0.01]),
    pauses=st.lists(st.one_of(st.just(0.0), st.floats(0, 0.5), st.floats(0, 90)), max_size=400),
)
def test_no_60s_window_ever_holds_more_than_the_rate(
    rate: int, burst_share: float, margin: float, pauses: list[float]
) -> None:
    """Whatever the burst and however callers come and go, no window of a
    minute, half-open (as the emulator counts) or closed, holds more than
    `rate` starts. (Without a margin the bound is exact, and rounding can tip it.)"""
    clock = FakeClock()
    pacer = Pacer(rate, clock, burst=max(1, round(rate * burst_share)), margin=margin)
    starts: list[float] = []

    async def run() -> None:
        async def caller(delays: list[float]) -> None:
            for delay in delays:
                await clock.sleep(delay)
                await pacer.acquire()
                starts.append(clock.monotonic())

        await asyncio.gather(*(caller(pauses[i::4]) for i in range(4)))

    asyncio.run(run())
    if starts:
        assert most_in_any_window(starts, closed=True) <= rate


def test_pacer_refuses_a_zero_rate_or_a_burst_past_it(clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        Pacer(0, clock)
    with pytest.raises(ValueError):
        Pacer(10, clock, burst=11)
    with pytest.raises(ValueError):
        Pacer(10, clock, burst=0)


# The pacer inside the client


async def test_200_concurrent_calls_start_no_faster_than_the_rate_limit(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    starts: list[float] = []
    in_flight = 0
    most_in_flight = 0

    async def serve(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most_in_flight
        starts.append(clock.monotonic())
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await clock.sleep(3.0)  # slow server: parallelism, not the pacer, is the bound here
        in_flight -= 1
        return httpx.Response(200, json=token_json(request.url.path.rsplit("/", 1)[1]))

    api.get(url__regex=TOKEN_PATTERN).mock(side_effect=serve)
    client = make_client(rate_limit=120, parallelism=10)
    began = clock.monotonic()
    tokens = await asyncio.gather(*(client.get_token(ORG, f"t{n}") for n in range(200)))

    assert len(tokens) == 200
    assert len(starts) == 200
    assert starts == sorted(starts)
    # The ten slots start at once; the rest of each minute's 120 are spread evenly.
    assert starts[:10] == pytest.approx([began] * 10)
    assert most_in_any_window(starts, closed=True) <= 120
    assert starts[-1] - began >= 190 * 60 / 111
    assert 1 < most_in_flight <= 10


async def test_parallelism_bounds_requests_in_flight(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    in_flight = 0
    most_in_flight = 0

    async def serve(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await clock.sleep(1.0)
        in_flight -= 1
        return httpx.Response(200, json=token_json("t1"))

    api.get(url__regex=TOKEN_PATTERN).mock(side_effect=serve)
    client = make_client(rate_limit=0, parallelism=4)
    began = clock.monotonic()
    await asyncio.gather(*(client.get_token(ORG, f"t{n}") for n in range(50)))
    assert most_in_flight == 4
    assert clock.monotonic() - began == 13.0  # ceil(50 / 4) rounds of one second


async def test_retries_are_paced_too(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    starts: list[float] = []

    def serve(request: httpx.Request) -> httpx.Response:
        starts.append(clock.monotonic())
        if len(starts) % 2:
            return httpx.Response(500)
        return httpx.Response(200, json=token_json("t1"))

    api.get(url__regex=TOKEN_PATTERN).mock(side_effect=serve)
    client = make_client(rate_limit=60, parallelism=5, retry=RetryPolicy(base_delay=0.1))
    await asyncio.gather(*(client.get_token(ORG, f"t{n}") for n in range(30)))
    assert client.stats.retries > 0
    assert most_in_any_window(starts, closed=True) <= 60
    assert starts[-1] - starts[0] >= (len(starts) - 5) * 60 / 56


async def test_a_429_pauses_every_caller_of_the_client(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient], clock: FakeClock
) -> None:
    starts: list[float] = []

    def serve(request: httpx.Request) -> httpx.Response:
        starts.append(clock.monotonic())
        if len(starts) == 3:
            return httpx.Response(429, headers={"Retry-After": "20"})
        return httpx.Response(200, json=token_json("t1"))

    api.get(url__regex=TOKEN_PATTERN).mock(side_effect=serve)
    client = make_client(rate_limit=600, parallelism=10)
    await asyncio.gather(*(client.get_token(ORG, f"t{n}") for n in range(20)))
    limited_at = starts[2]
    after = starts[3:]
    assert len(starts) == 21
    assert all(t >= limited_at + 20.0 for t in after)
