"""Does the client's pacer keep it under the API's rate limit, with failures injected?

Starts `pstokens emulator --rate-limit 120 --fail-rate 0.1` as a subprocess,
fires 200 reads at once through one client paced at 120 a minute, and prints
how many succeeded and what share of the emulator's answers were 429.
Takes about 100 seconds (200 calls at 2 a second).

    python benchmarks/pacer_check.py [--rate 120] [--reads 200] [--fail-rate 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

import httpx

from pstokens.api import Credentials, PlanetScaleClient
from pstokens.api.errors import ApiError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_emulator/stats", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the emulator did not start")


async def reads(url: str, count: int, rate: int) -> tuple[int, int, float]:
    credentials = Credentials.bearer("pacer-check")
    async with PlanetScaleClient(url, credentials, rate_limit=rate, parallelism=10) as client:
        created = await client.create_token("acme", name="probe")
        token_id = created.token.id
        started = time.monotonic()

        async def one() -> bool:
            try:
                await client.get_token("acme", token_id)
                return True
            except ApiError:
                return False

        results = await asyncio.gather(*(one() for _ in range(count)))
        return sum(results), count - sum(results), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=120)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--fail-rate", type=float, default=0.1)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [sys.executable, "-m", "pstokens", "emulator", "--port", str(port),
         "--rate-limit", str(args.rate), "--fail-rate", str(args.fail_rate), "--seed", "7"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(base)
        ok, failed, seconds = asyncio.run(reads(f"{base}/v1", args.reads, args.rate))
        stats = httpx.get(f"{base}/_emulator/stats").json()
    finally:
        emulator.terminate()
        emulator.wait(10)
    answers = stats["total"]
    limited = stats["by_status"].get("429", 0)
    print(f"reads: {ok} succeeded, {failed} failed, in {seconds:.1f} s")
    print(f"emulator answers: {answers} ({stats['by_status']})")
    print(f"429 share: {limited}/{answers} = {100 * limited / answers:.2f}% (target < 5%)")
    print(f"500s injected: {stats['failed']}")


if __name__ == "__main__":
    main()
