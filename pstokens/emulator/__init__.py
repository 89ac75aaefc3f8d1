"""A local PlanetScale service-token API, for tests, benchmarks and demos.

It serves exactly the API of `planetscale-api.md` at `http://HOST:PORT/v1`,
with knobs for latency, rate limits, failures and lost responses, so pstokens
can be proved against the failures it must survive without touching PlanetScale.

    settings = EmulatorSettings(organizations=("acme",), rate_limit=600)
    serve(settings)                           # `pstokens emulator`
    with running_emulator(settings) as url:   # tests: a real server on a free port
        ...
"""

from pstokens.emulator.app import create_app
from pstokens.emulator.demo import DEMO_DATABASES, seed_demo
from pstokens.emulator.faults import ResponseDropped
from pstokens.emulator.grants import InvalidParams
from pstokens.emulator.server import serve
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.store import EmulatorStore, NotFound
from pstokens.emulator.testing import running_emulator

__all__ = [
    "DEMO_DATABASES",
    "EmulatorSettings",
    "EmulatorStore",
    "InvalidParams",
    "NotFound",
    "ResponseDropped",
    "create_app",
    "running_emulator",
    "seed_demo",
    "serve",
]
