"""Tokens piling up behind a destination that keeps failing: a plan warning.

A new token that reaches only some of its destinations is kept (they use it),
and so is the token it replaces, so while one destination keeps failing each
apply leaves one more live token for the key. One extra is what a single partly
delivered replacement leaves; past that, the plan warns, naming them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from pstokens.engine.planning.plan import Plan
from pstokens.engine.rules.findings import PlanWarning, WarningKind
from pstokens.engine.rules.live import LiveToken
from pstokens.state.model import State

# The key's token and the one a partly delivered replacement kept: expected.
EXPECTED_LIVE = 2


def piling_warnings(state: State, live: Mapping[str, LiveToken],
                    keys: Iterable[str]) -> tuple[PlanWarning, ...]:
    """For each key whose token is partly delivered, a warning when more than
    `EXPECTED_LIVE` of its tokens (its own and those it is replacing) are live."""
    found: list[PlanWarning] = []
    for key in sorted(keys):
        record = state.tokens.get(key)
        if record is None or not record.partly_delivered:
            continue
        ids = sorted({i for i in (record.id, *record.retiring) if i is not None and i in live})
        if len(ids) > EXPECTED_LIVE:
            found.append(PlanWarning(WarningKind.TOKENS_PILING_UP, key, tuple(ids)))
    return tuple(found)


def with_piling(plan: Plan, state: State, live: Mapping[str, LiveToken],
                keys: Iterable[str]) -> Plan:
    """`plan` with a warning for each of `keys` whose live tokens pile up."""
    extra = piling_warnings(state, live, keys)
    return replace(plan, warnings=plan.warnings + extra) if extra else plan
