"""Reading a plan saved by `plan --out`: shared by `apply PLANFILE` and `show PLANFILE`."""

from __future__ import annotations

import json
from pathlib import Path

from pstokens.engine.planning.plan import Plan
from pstokens.errors import PlanError
from pstokens.fileread import TooLarge, read_bounded, size_words

MAX_PLAN_BYTES = 64 * 1024 * 1024


def load_plan(path: Path) -> Plan:
    """A plan saved by `plan --out`, or a one-line error saying what is wrong with it."""
    try:
        raw = read_bounded(path, MAX_PLAN_BYTES)
    except TooLarge:
        raise PlanError(f"plan file {path} is too large to be a pstokens plan "
                        f"(more than {size_words(MAX_PLAN_BYTES)})",
                        hint="save smaller plans with `pstokens plan --target KEY --out FILE`"
                        ) from None
    except OSError as exc:
        raise PlanError(f"cannot read plan file {path}: {exc.strerror or type(exc).__name__}",
                        hint="check the path and its permissions, or save the plan again "
                        "with `pstokens plan --out FILE`") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise PlanError(f"plan file {path} is not valid JSON",
                        hint="save the plan again with `pstokens plan --out FILE`") from None
    return Plan.from_json(data, source=f"plan file {path}")
