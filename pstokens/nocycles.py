"""The cyclic garbage collector paused while pstokens builds many small acyclic objects.

Reading a config, decoding the API's pages and making a plan each make tens of
thousands of objects (YAML nodes, tokens, changes, the plan's JSON document)
that hold no reference cycle: reference counting frees them, and the cyclic
collector's passes over them are wasted work. At 1,000 tokens they cost a plan
2 to 3 ms of its 20, and a `validate` with policies 30 to 60 ms before the plan
reaches the policies, a full pass alone 17 to 38 ms (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cycles_uncollected() -> Iterator[None]:
    """The cyclic collector off for the block, and back on after it, as it was (a
    cycle made meanwhile is collected then)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
