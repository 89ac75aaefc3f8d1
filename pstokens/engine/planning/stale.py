"""What moved since a saved plan was made, down to the token, access or config field.

A saved plan is applied only against the same state, config and organization.
When one of them moved, a reviewer needs to know what: `deepdiff` compares
the config the plan recorded with today's, and the saved plan with a fresh
one (its drift, its changes), and the differences come back typed; the
renderers word them. `config_data` is the plain form both digest and diff use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

import msgspec

from pstokens.config.model import Config, TokenSpec
from pstokens.destinations import CommandDestination, DirDestination
from pstokens.engine.planning.change import Action, Cause
from pstokens.engine.planning.plan import Change, Plan, deliver_to_json
from pstokens.engine.rules.findings import Drift
from pstokens.engine.rules.rotation import RetireWait, Retiring

ORGANIZATION_LEVEL = "(organization)"  # no database name has parentheses
# Where a config lives is not what it asks; a token's key is its mapping key.
_NOT_COMPARED = {Config: ("path",), TokenSpec: ("key",)}


class MovedKind(StrEnum):
    STATE_SERIAL = "state_serial"  # the same state, written since (before, after: serials)
    STATE_LINEAGE = "state_lineage"  # another state altogether (before, after: lineages)
    NO_CONFIG = "no_config"  # the plan recorded no config to compare with
    CONFIG_CHANGED = "config_changed"  # `path` changed from `before` to `after`
    CONFIG_ADDED = "config_added"  # `path` gained `after`
    CONFIG_REMOVED = "config_removed"  # `path` lost `before`
    DRIFT = "drift"  # something changed outside pstokens: `drift`
    DRIFT_GONE = "drift_gone"  # what the plan saw outside pstokens is no longer so
    # The saved plan deletes `change`'s token as unused; PlanetScale has seen it used
    # since, so a fresh plan keeps it (`retiring`, as the fresh plan reads it).
    USED_SINCE = "used_since"
    # The saved plan keeps a retiring token (`retiring`, as it read it); its wait has
    # run out since, so a fresh plan deletes it (`change`).
    RETIRE_DUE = "retire_due"
    # PlanetScale's audit log has reported token `after` leaked since the plan was made.
    LEAKED_SINCE = "leaked_since"
    # `change`, a replacement for a deadline (expiry, rotate_after), came due since.
    DUE_SINCE = "due_since"
    CHANGE_ADDED = "change_added"  # a fresh plan also does `change`
    CHANGE_GONE = "change_gone"  # a fresh plan no longer does `change`
    # `change` (saved, at `path` ("changes", index)) is now `fresh`; `before` and
    # `after` map each differing field to its saved and fresh values.
    CHANGE_DIFFERS = "change_differs"
    KEY_ADDED = "key_added"  # state push: `path[0]` gains token `after`
    KEY_REMOVED = "key_removed"  # state push: `path[0]` (token `before`) goes
    ID_CHANGED = "id_changed"  # state push: `path[0]` maps to `after`, not `before`


@dataclass(frozen=True)
class Moved:
    kind: MovedKind
    path: tuple[str | int, ...] = ()  # an int is a position in a list
    before: Any = None
    after: Any = None
    drift: Drift | None = None
    change: Change | None = None
    fresh: Change | None = None
    retiring: Retiring | None = None


def config_data(config: Config) -> dict[str, Any]:
    """What the config asks for as plain JSON data, laid out as the YAML is (not
    where it lives, nor its comments): saved in plans, digested, diffed."""
    return _plain(config)  # type: ignore[no-any-return]


def digest(data: Any) -> str:
    # msgspec writes the compact, key-sorted JSON that json.dumps writes, about
    # five times as fast (every plan pays for this), except that json.dumps
    # escapes DEL and non-ASCII text as \uXXXX (such text goes through it, so a
    # digest never changes) and writes a float's exponent as 1e+16 (a config
    # holds no floats: tests/engine/test_config_digest.py holds both to it).
    text = msgspec.json.encode(data, order="sorted")
    if not text.isascii() or b"\x7f" in text:
        text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(text).hexdigest()


def config_moves(saved: Any, current: Any) -> list[Moved]:
    """Each config field that differs between the plan's config and today's."""
    if saved is None:
        return [Moved(MovedKind.NO_CONFIG)]
    from deepdiff import DeepDiff  # only a stale plan pays for it

    found: list[Moved] = []
    for report, path, old, new in _differences(DeepDiff(saved, current, ignore_order=True,
                                                        view="tree")):
        if report in ("iterable_item_added", "iterable_item_removed"):
            path = path[:-1]  # the list, not the item's position in it
        if report in ("dictionary_item_added", "iterable_item_added"):
            found.append(Moved(MovedKind.CONFIG_ADDED, path, after=new))
        elif report in ("dictionary_item_removed", "iterable_item_removed"):
            found.append(Moved(MovedKind.CONFIG_REMOVED, path, before=old))
        else:
            found.append(Moved(MovedKind.CONFIG_CHANGED, path, old, new))
    return sorted(found, key=lambda m: (json.dumps(m.path), str(m.kind),
                                        json.dumps(m.after, default=str)))


def plan_moves(saved: Plan, fresh: Plan) -> list[Moved]:
    """What a fresh read of the organization plans otherwise: first what changed
    outside pstokens (the usual cause), then each change that differs."""
    found = [Moved(MovedKind.DRIFT, drift=d) for d in fresh.drift if d not in saved.drift]
    found += [Moved(MovedKind.LEAKED_SINCE, after=token_id) for token_id
              in sorted(fresh.leak_check.leaked - saved.leak_check.leaked)]
    found += [Moved(MovedKind.DRIFT_GONE, drift=d) for d in saved.drift if d not in fresh.drift]
    from deepdiff import DeepDiff

    before, after = _by_identity(saved.changes), _by_identity(fresh.changes)
    tree = DeepDiff({k: c.to_json() for k, c in before.items()},
                    {k: c.to_json() for k, c in after.items()}, view="tree")
    differing: dict[str, set[str]] = {}
    kept_then = {r.token_id: r for r in saved.retiring}
    kept_now = {r.token_id: r for r in fresh.retiring}
    for report, path, _, _ in _differences(tree):
        ident = str(path[0])
        if report == "dictionary_item_added" and len(path) == 1:
            found.append(_retire_due(after[ident], kept_then) or _due(after[ident])
                         or Moved(MovedKind.CHANGE_ADDED, change=after[ident]))
        elif report == "dictionary_item_removed" and len(path) == 1:
            found.append(_used_since(before[ident], kept_now)
                         or Moved(MovedKind.CHANGE_GONE, change=before[ident]))
        else:
            differing.setdefault(ident, set()).add(str(path[1]) if len(path) > 1 else "")
    position = {change: index for index, change in enumerate(saved.changes)}
    for ident in sorted(differing):
        old, new = before[ident].to_json(), after[ident].to_json()
        fields = sorted(f for f in differing[ident] if f)
        found.append(Moved(MovedKind.CHANGE_DIFFERS, ("changes", position[before[ident]]),
                           before={f: old.get(f) for f in fields},
                           after={f: new.get(f) for f in fields},
                           change=before[ident], fresh=after[ident]))
    return found


_RETIRED = (Cause.NOT_USED, Cause.OVERLAP_ENDED)


def _used_since(gone: Change, kept_now: Mapping[str, Retiring]) -> Moved | None:
    """A delete of a token unused for `retire_when_unused` that a fresh plan keeps
    because PlanetScale saw it used: the organization moved, not the plan file."""
    kept = kept_now.get(gone.token_id or "")
    if (gone.action is not Action.DELETE or gone.cause is not Cause.NOT_USED or kept is None
            or kept.wait not in (RetireWait.UNUSED, RetireWait.STUCK)):
        return None
    return Moved(MovedKind.USED_SINCE, change=gone, retiring=kept)


def _retire_due(added: Change, kept_then: Mapping[str, Retiring]) -> Moved | None:
    """A retiring token the saved plan kept, deleted by a fresh plan because its
    wait (overlap, or retire_when_unused) ran out since."""
    kept = kept_then.get(added.token_id or "")
    if added.action is not Action.DELETE or added.cause not in _RETIRED or kept is None:
        return None
    return Moved(MovedKind.RETIRE_DUE, change=added, retiring=kept)


_DEADLINES = (Cause.EXPIRED, Cause.ROTATE_AFTER)


def _due(added: Change) -> Moved | None:
    """A replacement a deadline (the token's expiry, rotate_after) brought on since."""
    if added.action is not Action.REPLACE or added.cause not in _DEADLINES:
        return None
    return Moved(MovedKind.DUE_SINCE, change=added)


def state_moves(before: Mapping[str, str | None], after: Mapping[str, str | None]) -> list[Moved]:
    """What writing a state whose keys map to `after` changes in one that maps to
    `before` (key -> token ID): keys added, keys removed, IDs changed."""
    from deepdiff import DeepDiff

    found: list[Moved] = []
    for report, path, old, new in _differences(DeepDiff(dict(before), dict(after),
                                                        view="tree")):
        key = (str(path[0]),)
        if report == "dictionary_item_added":
            found.append(Moved(MovedKind.KEY_ADDED, key, after=new))
        elif report == "dictionary_item_removed":
            found.append(Moved(MovedKind.KEY_REMOVED, key, before=old))
        else:
            found.append(Moved(MovedKind.ID_CHANGED, key, old, new))
    return sorted(found, key=lambda m: (str(m.path[0]), str(m.kind)))


Difference = tuple[str, tuple[str | int, ...], Any, Any]


def _differences(tree: Any) -> list[Difference]:
    """(report, path, before, after) for each difference deepdiff found. A mapping
    that was empty on one side comes back as one change of the whole mapping:
    it is split into an addition or removal per entry, as for any other."""
    found: list[Difference] = []
    for report, levels in tree.items():
        for level in levels:
            path = tuple(p if isinstance(p, int) else str(p)
                         for p in level.path(output_format="list"))
            found.extend(_split(report, path, level.t1, level.t2))
    return found


def _split(report: str, path: tuple[str | int, ...], old: Any, new: Any) -> list[Difference]:
    if report != "values_changed" or not (isinstance(old, dict) and isinstance(new, dict)):
        return [(report, path, old, new)]
    return ([("dictionary_item_removed", (*path, k), old[k], None) for k in old if k not in new]
            + [("dictionary_item_added", (*path, k), None, new[k]) for k in new if k not in old]
            + [d for k in old if k in new and old[k] != new[k]
               for d in _split("values_changed", (*path, k), old[k], new[k])])


_COMPARED: dict[type, tuple[str, ...]] = {}


def _compared(kind: type) -> tuple[str, ...]:
    """A dataclass's compared fields, less those `_NOT_COMPARED` leaves out; looked up once."""
    names = _COMPARED.get(kind)
    if names is None:
        skip = _NOT_COMPARED.get(kind, ())
        names = _COMPARED[kind] = tuple(f.name for f in dataclasses.fields(kind)
                                        if f.compare and f.name not in skip)
    return names


def _by_identity(changes: Iterable[Change]) -> dict[str, Change]:
    """Each change under what it acts on, so a diff pairs a change with its successor."""
    return {"|".join((str(c.action), c.key or "", c.token_id or "", c.database or "")): c
            for c in changes}


_SCALARS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    # Every plan pays for this (a thousand tokens are twenty thousand values): the
    # common kinds first, by exact type, and each dataclass's compared fields
    # looked up once (`_COMPARED` holds every dataclass met, destinations aside).
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is TokenSpec:
        return _token(value)
    names = _COMPARED.get(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if kind is dict:
        return {ORGANIZATION_LEVEL if k is None else str(k): _plain(v) for k, v in value.items()}
    if kind is frozenset and all(type(v) is str for v in value):
        return sorted(value)
    if isinstance(value, CommandDestination | DirDestination):
        return deliver_to_json((value,))[0]  # type: ignore[index]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _compared(kind)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {ORGANIZATION_LEVEL if k is None else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _token(spec: TokenSpec) -> dict[str, Any]:
    """A token's plain form, `_plain`'s most common case written out (a thousand
    tokens took 4 of a plan's milliseconds): scalars kept as they are, and the
    accesses (typed `frozenset[str]` by database) sorted without asking each
    set what it holds."""
    plain: dict[str, Any] = {}
    for name in _compared(TokenSpec):
        value = getattr(spec, name)
        if type(value) in _SCALARS:
            plain[name] = value
        elif name == "accesses":
            plain[name] = {ORGANIZATION_LEVEL if database is None else database: sorted(names)
                           for database, names in value.items()}
        else:
            plain[name] = _plain(value)
    return plain
