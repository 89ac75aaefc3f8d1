"""Why a saved plan is stale, in words: `ci-deploy gained read_branch on app-prod
outside pstokens`, `tokens.ci-deploy.ttl changed from 90d to 30d`.

The engine (`pstokens.engine.planning.stale`) finds what moved and hands it over typed;
this module only words it. Names from the organization or a plan file are
untrusted: every one passes through `safe`.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pstokens.config.duration import format_duration
from pstokens.engine.planning.change import Cause
from pstokens.engine.planning.plan import Change
from pstokens.engine.planning.stale import Moved, MovedKind
from pstokens.engine.rules.findings import DriftKind
from pstokens.errors import StalePlan
from pstokens.render.rules import safe, where
from pstokens.render.words import reason

# Config fields that hold seconds, shown as durations.
DURATIONS = frozenset({"ttl", "rotate_after", "overlap", "retire_when_unused", "max_ttl",
                       "unused_after", "timeout"})
MAX_SHOWN = 20


_STATE = (MovedKind.STATE_SERIAL, MovedKind.STATE_LINEAGE)
_ORGANIZATION = (MovedKind.DRIFT, MovedKind.DRIFT_GONE, MovedKind.USED_SINCE,
                 MovedKind.LEAKED_SINCE)
_WAITS = (MovedKind.RETIRE_DUE, MovedKind.DUE_SINCE)
_CHANGES = (MovedKind.CHANGE_ADDED, MovedKind.CHANGE_GONE, MovedKind.CHANGE_DIFFERS)


def stale_text(exc: StalePlan) -> str:
    """`saved plan is stale: the configuration changed since it was made:` then one
    line per thing that moved."""
    moved = [m for m in exc.moved if isinstance(m, Moved)]
    which = [name for name, kinds in (("the state", _STATE),
                                      ("the configuration", None),
                                      ("the organization", _ORGANIZATION))
             if any((m.kind in kinds) if kinds else
                    (m.kind not in (*_STATE, *_ORGANIZATION, *_WAITS, *_CHANGES))
                    for m in moved)]
    lines = [moved_text(m) for m in moved]
    shown = lines[:MAX_SHOWN]
    if len(lines) > MAX_SHOWN:
        shown.append(f"and {len(lines) - MAX_SHOWN} more")
    waited = any(m.kind in _WAITS for m in moved)
    if which or waited:
        changed = f"{' and '.join(which)} changed" if which else ""
        ran_out = ("a deadline came due" if any(m.kind is MovedKind.DUE_SINCE for m in moved)
                   else "a retiring token's wait ran out") if waited else ""
        head = f"{' and '.join(p for p in (changed, ran_out) if p)} since it was made"
    else:  # same state, config and organization: the plan itself was altered
        head = ("its changes differ from a fresh plan's, with the state, the configuration "
                "and the organization's tokens as it recorded them (was the plan file edited?)")
    return f"saved plan is stale: {head}:\n" + "\n".join(f"  - {s}" for s in shown)


def moved_text(moved: Moved) -> str:
    kind = moved.kind
    if kind is MovedKind.STATE_SERIAL:
        return f"the state was written since (serial {moved.before} then, {moved.after} now)"
    if kind is MovedKind.STATE_LINEAGE:
        return (f"the state is another one (lineage {safe(str(moved.after))}, "
                f"not {safe(str(moved.before))})")
    if kind is MovedKind.NO_CONFIG:
        return "the configuration changed (the plan recorded no copy of it to compare)"
    if kind in (MovedKind.DRIFT, MovedKind.DRIFT_GONE):
        return _drift(moved)
    if kind in (MovedKind.USED_SINCE, MovedKind.RETIRE_DUE):
        return _retiring(moved)
    if kind is MovedKind.LEAKED_SINCE:
        return (f"PlanetScale reported token {safe(str(moved.after))} leaked since the "
                "plan was made")
    if kind is MovedKind.DUE_SINCE:
        return ("a deadline came due since the plan was made: a fresh plan does "
                f"{_change(moved.change)}")
    if kind is MovedKind.CHANGE_ADDED:
        return f"a fresh plan also does: {_change(moved.change)}"
    if kind is MovedKind.CHANGE_GONE:
        return f"a fresh plan no longer does: {_change(moved.change)}"
    if kind is MovedKind.CHANGE_DIFFERS:
        return _differs(moved)
    if kind in _STATE_KEYS:
        return _state_key(moved)
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{safe(p)}"
                   for p in moved.path).lstrip(".") or "the configuration"
    names = [p for p in moved.path if isinstance(p, str)]
    field = names[-1] if names else ""
    if kind is MovedKind.CONFIG_ADDED:
        return f"{path} gained {_value(field, moved.after)}"
    if kind is MovedKind.CONFIG_REMOVED:
        return f"{path} lost {_value(field, moved.before)}"
    return (f"{path} changed from {_value(field, moved.before)} "
            f"to {_value(field, moved.after)}")


_STATE_KEYS = (MovedKind.KEY_ADDED, MovedKind.KEY_REMOVED, MovedKind.ID_CHANGED)


def _state_key(moved: Moved) -> str:
    key = safe(str(moved.path[0]))
    if moved.kind is MovedKind.KEY_ADDED:
        return f"+ {key}  id {_id(moved.after)}  (added)"
    if moved.kind is MovedKind.KEY_REMOVED:
        return f"- {key}  id {_id(moved.before)}  (removed)"
    return f"~ {key}  id {_id(moved.before)} -> {_id(moved.after)}"


def _id(value: Any) -> str:
    return "(none yet)" if value is None else safe(str(value))


def _drift(moved: Moved) -> str:
    item = moved.drift
    assert item is not None
    key = safe(item.key)
    if item.kind is DriftKind.DELETED:
        text = f"{key}'s token {safe(item.token_id)} was deleted outside pstokens"
    else:
        verb = "gained" if item.kind is DriftKind.GRANTED else "lost"
        text = f"{key} {verb} {safe(item.access)} on {_place(item.database)} outside pstokens"
    return text if moved.kind is MovedKind.DRIFT else f"no longer so: {text}"


def _retiring(moved: Moved) -> str:
    """`ci's replaced token 7s2k was used since the plan was made, so it is kept
    until unused for 30m (PlanetScale last saw it used 2026-12-07 19:12:03 UTC)`."""
    item, change = moved.retiring, moved.change
    assert item is not None and change is not None
    token = f"{safe(item.key)}'s replaced token {safe(item.token_id)}"
    quiet = format_duration(item.retire_when_unused or 0)
    if moved.kind is MovedKind.USED_SINCE:
        seen = ("" if item.last_used_at is None else " (PlanetScale last saw it used "
                f"{item.last_used_at.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')})")
        return (f"{token} was used since the plan was made, so it is kept until unused "
                f"for {quiet}{seen}: a fresh plan no longer deletes it")
    if change.cause is Cause.NOT_USED:
        return (f"{token} has not been used for retire_when_unused ({quiet}) since the "
                "plan was made: a fresh plan deletes it")
    return f"{token}'s overlap ended since the plan was made: a fresh plan deletes it"


def _place(database: str | None) -> str:
    return "the organization" if database is None else safe(database)


def _differs(moved: Moved) -> str:
    """`changes[6] (grant ci on database app-prod): accesses is [...] in the saved
    plan, [...] in a fresh plan`: which change, and each field that differs."""
    if not isinstance(moved.before, dict) or not moved.before:
        return f"a fresh plan does {_change(moved.fresh)}, not {_change(moved.change)}"
    after = moved.after if isinstance(moved.after, dict) else {}
    at = "".join(f"[{p}]" if isinstance(p, int) else safe(p) for p in moved.path)
    fields = "; ".join(f"{safe(f)} is {_value(f, v)} in the saved plan, "
                       f"{_value(f, after.get(f))} in a fresh plan"
                       for f, v in moved.before.items())
    return f"{at} ({_change(moved.change)}): {fields}"


def _change(change: Change | None) -> str:
    if change is None:
        return "nothing"
    text = f"{change.action} {safe(change.key or change.name)}"
    if change.token_id:
        text += f" (id {safe(change.token_id)})"
    if change.accesses:
        text += f" {', '.join(safe(a) for a in change.accesses)} on {where(change.database)}"
    if why := reason(change):  # a replacement's cause, `leaked` say
        text += f" ({why})"
    return text


def _value(field: str, value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and field in DURATIONS:
        return format_duration(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{safe(str(k))}: {_value(str(k), v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(field, v) for v in value) + "]"
    return safe(str(value))
