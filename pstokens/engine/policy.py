"""The rules that guard a run, in one place, for every caller (CLI, adapters, library).

Before any call: `--target` and `--replace` must name known keys, and a
`prevent_destroy` key cannot be replaced. For a saved plan: the state (lineage,
serial), the config (digest) and the organization (a fresh plan with the same
targets and replacements) must all be as they were. Before apply: a plan past
the safety threshold, or one that deletes an unmanaged namesake of a key,
needs `force`. The CLI only parses, asks and renders around these.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from pstokens.config.model import Config
from pstokens.engine.findings import UnsafeKind
from pstokens.engine.plan import Plan
from pstokens.engine.planner import PlanOptions
from pstokens.errors import PlanError, PstokensError, StalePlan, UnsafePlan
from pstokens.state.model import State

RUN_AGAIN = "run `pstokens plan --out FILE` again, review it, and apply that"


def check_options(config: Config, state: State, options: PlanOptions) -> None:
    """Refuse options that name unknown keys, or replace a protected token."""
    for flag, keys in (("--target", options.targets), ("--replace", options.replace)):
        unknown = sorted(k for k in keys if k not in config.tokens and k not in state.tokens)
        if unknown:
            raise PstokensError(
                f"{flag} names {', '.join(unknown)}, which is neither in the config nor in state",
                hint="use a token key from the config",
            )
    protected = sorted(k for k in options.replace
                       if k in config.tokens and config.tokens[k].prevent_destroy)
    if protected:
        raise PlanError(
            f"--replace {', '.join(protected)}: prevent_destroy is set, so pstokens will not "
            "replace (delete) that token",
            hint="remove prevent_destroy from its config first if the replacement is intended",
        )


def config_digest(config: Config) -> str:
    """A digest of what the config asks for (not where it lives, nor its comments)."""
    # Fields outside comparison (where each value was written) are not what it asks for.
    data = _canonical({f.name: getattr(config, f.name)
                       for f in dataclasses.fields(config) if f.compare and f.name != "path"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def saved_options(saved: Plan) -> PlanOptions:
    return PlanOptions(frozenset(saved.targets), frozenset(saved.replace))


def check_saved(saved: Plan, config: Config, state: State) -> None:
    """Refuse a saved plan whose state or config moved on since it was made."""
    if saved.organization != config.organization:
        raise StalePlan(
            f"saved plan is for organization {saved.organization!r}, "
            f"the config names {config.organization!r}"
        )
    moved = []
    from_nothing = saved.serial == state.serial == 0 and not state.tokens
    if (saved.lineage, saved.serial) != (state.lineage, state.serial) and not from_nothing:
        same_line = saved.lineage == state.lineage or saved.serial == 0  # 0: made from none
        moved.append(f"the state changed (serial {saved.serial} then, {state.serial} now)"
                     if same_line else
                     f"the state is another one (lineage {state.lineage}, not {saved.lineage})")
    if saved.config_digest is None:
        moved.append("it records no config digest (made by an older pstokens)")
    elif saved.config_digest != config_digest(config):
        moved.append("the configuration changed")
    if moved:
        raise StalePlan(f"saved plan is stale: {' and '.join(moved)} since it was made",
                        hint=RUN_AGAIN)


def check_same(saved: Plan, fresh: Plan) -> None:
    """Refuse a saved plan when a fresh read of the organization plans otherwise."""
    if saved.comparable() != fresh.comparable():
        raise StalePlan(
            "saved plan is stale: the organization changed since it was made "
            "(a fresh read no longer gives the same changes)",
            hint=RUN_AGAIN,
        )


def check_safe(plan: Plan, *, force: bool) -> None:
    """Refuse an unsafe plan unless forced."""
    if not plan.unsafe or force:
        return
    reasons = []
    for item in plan.unsafe:
        if item.kind is UnsafeKind.TOO_MANY_DELETES:
            reasons.append(f"it deletes {item.deletes} of {item.managed} managed tokens, more "
                           f"than safety.max_delete_percent ({item.percent}%)")
        else:
            reasons.append(f"it deletes unmanaged token {item.token_id}, whose name is the "
                           f"config key {item.key!r} (a state that predates another apply?)")
    raise UnsafePlan(f"refusing to apply: {'; '.join(reasons)}",
                     hint="check the plan, then pass --force if it is right")


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return sorted(([_canonical(k), _canonical(v)] for k, v in value.items()),
                      key=lambda kv: json.dumps(kv[0]))
    if isinstance(value, frozenset | set):
        return sorted((_canonical(v) for v in value), key=json.dumps)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [_canonical(v) for v in value]
    return value
