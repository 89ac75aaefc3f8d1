"""What `pstokens exec` adds around COMMAND: make the lease, then delete it.

Times `LeaseMaker.open` (intent, create, ID, grants, verification) plus
`close` (delete, forget) against the emulator process with its latency, with
state in a local file as `exec` keeps it. The calls are counted by the
emulator: 1 create, one grant per scope, 1 verification, 1 delete. The lower
bound is calls x latency; the grants go out together, so a run may beat it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.server import EmulatorProcess
from benchmarks.workload import API_KEY, DATABASES
from pstokens.api import Credentials, PlanetScaleClient
from pstokens.config.model import TokenSpec
from pstokens.engine.leases.lease import LeaseMaker
from pstokens.engine.leases.leasebook import LeaseBook
from pstokens.state import FileStateStore

ORGANIZATION = "leasebench"
SPEC = TokenSpec("deploy", accesses={
    None: frozenset({"read_databases"}),
    **{db: frozenset(names) for db, names in DATABASES.items()},
})
EXPECTED_CALLS = 1 + len(SPEC.accesses) + 1 + 1  # create, grants, verification, delete


async def time_exec_overhead(
    emulator: EmulatorProcess, root: Path, repeat: int = 7
) -> tuple[float, int]:
    """The median seconds of open + close, and the calls one exec made."""
    root.mkdir(parents=True, exist_ok=True)
    book = LeaseBook(FileStateStore(root / "state.json"), ORGANIZATION)
    times, calls = [], []
    async with PlanetScaleClient(emulator.url, Credentials.bearer(API_KEY),
                                 rate_limit=0) as client:
        maker = LeaseMaker(client, book, ORGANIZATION)
        for _ in range(repeat):
            emulator.reset_stats()
            started = time.perf_counter()
            lease = await maker.open(SPEC, 900)
            await maker.close(lease)
            times.append(time.perf_counter() - started)
            calls.append(int(emulator.stats()["total"]))
    return statistics.median(times), max(calls)
