"""The state file's content: which token ID each config key maps to.

Plain frozen data with a JSON round-trip; reading and writing the file lives
in `store.py`. State never holds a secret.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pstokens.config.model import AccessMap
from pstokens.defaults import PATH_SEGMENT, TOKEN_KEY
from pstokens.errors import DamagedState, StateError
from pstokens.quoting import shown as shown_value

STATE_VERSION = 1


@dataclass(frozen=True)
class TokenRecord:
    """What pstokens knows of one managed token.

    `id` is None while a create is in flight: `pending_since` then records when
    the first attempt started, so a lost create can be found by name and time.
    `retiring` lists tokens this key replaced that may still need deleting.
    `preexisting` lists tokens of the same name that were live before the
    intent: they are someone else's, never taken for what a lost create made.
    `retire_at` gives, for retiring tokens kept working by `overlap`, the time
    from which a plan deletes them; a retiring ID without one goes at once.
    `successor_delivered_at` gives, for retiring tokens, when the token that
    replaced them was delivered: with `retire_when_unused`, the time from which
    PlanetScale's `last_used_at` decides when they go (`engine/planning/converge.py`).
    """

    id: str | None
    name: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    ttl: int | None = None
    accesses: AccessMap = field(default_factory=dict)
    delivered: bool = True
    prevent_destroy: bool = False
    pending_since: datetime | None = None
    retiring: tuple[str, ...] = ()
    preexisting: tuple[str, ...] = ()
    retire_at: Mapping[str, datetime] = field(default_factory=dict)
    successor_delivered_at: Mapping[str, datetime] = field(default_factory=dict)
    # Folders its secret's `.env` file was written to, cleaned when it is deleted.
    secret_dirs: tuple[str, ...] = ()
    # False when apply could not call the API with the new token's credentials:
    # the next plan replaces it (see `engine/applying/verify.py`).
    verified: bool = True
    # Token ID -> the destinations that hold its secret (a file's path, a command's
    # label), for the key's token and those it is replacing: a token reached only
    # some of its destinations is replaced by the next plan (`partly_delivered`).
    held_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def partly_delivered(self) -> bool:
        """Its token reached some destinations, not all: both it and the one it
        replaces are in use."""
        return not self.delivered and self.id is not None and bool(self.held_by.get(self.id))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "ttl": self.ttl,
            "accesses": {
                ("" if db is None else db): sorted(names) for db, names in sorted(
                    self.accesses.items(), key=lambda item: item[0] or ""
                )
            },
            "delivered": self.delivered,
            "prevent_destroy": self.prevent_destroy,
            "pending_since": _iso(self.pending_since),
            "retiring": list(self.retiring),
        }
        if self.preexisting:
            data["preexisting"] = list(self.preexisting)
        if self.secret_dirs:
            data["secret_dirs"] = list(self.secret_dirs)
        if self.retire_at:  # only with overlap: other state files stay as they were
            data["retire_at"] = {i: _iso(t) for i, t in sorted(self.retire_at.items())}
        if self.successor_delivered_at:  # only while a replaced token is retiring
            data["successor_delivered_at"] = {
                i: _iso(t) for i, t in sorted(self.successor_delivered_at.items())
            }
        if not self.verified:
            data["verified"] = False
        if self.held_by:  # only once a delivery recorded it: older files stay as they were
            data["held_by"] = {i: list(w) for i, w in sorted(self.held_by.items())}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenRecord:
        """Read one record, refusing (TypeError) any field of the wrong type: a
        record read wrongly would make the planner act on the wrong token."""
        if not isinstance(data, Mapping):
            raise TypeError("a token record is not an object")
        accesses = _typed(data, "accesses", dict, {})
        for names in accesses.values():
            _check_strings("accesses", names)
        ttl = _typed(data, "ttl", int, None)
        if isinstance(ttl, bool):
            raise TypeError("ttl is not a number of seconds")
        return cls(
            id=_token_id("id", _typed(data, "id", str, None)),
            name=_typed(data, "name", str, ...),
            created_at=_parse(data.get("created_at")),
            expires_at=_parse(data.get("expires_at")),
            ttl=ttl,
            accesses={(db or None): frozenset(names) for db, names in accesses.items()},
            delivered=_typed(data, "delivered", bool, True),
            prevent_destroy=_typed(data, "prevent_destroy", bool, False),
            pending_since=_parse(data.get("pending_since")),
            retiring=tuple(_token_ids("retiring", _typed(data, "retiring", list, []))),
            preexisting=tuple(_token_ids("preexisting", _typed(data, "preexisting", list, []))),
            retire_at=_times("retire_at", _typed(data, "retire_at", dict, {})),
            successor_delivered_at=_times(
                "successor_delivered_at", _typed(data, "successor_delivered_at", dict, {})
            ),
            secret_dirs=tuple(
                _check_strings("secret_dirs", _typed(data, "secret_dirs", list, []))
            ),
            verified=_typed(data, "verified", bool, True),
            held_by={str(i): tuple(_check_strings("held_by", w))
                     for i, w in _typed(data, "held_by", dict, {}).items()},
        )


@dataclass(frozen=True)
class LeaseRecord:
    """One lease made by `pstokens exec`: a short-lived token, keyed in state by its
    name (`KEY+lease-XXXXXXXX`, random, so unique).

    `id` is None from the intent (written before the create) until the create
    answers; `pending_since` then lets a lost create be found by name. A lease
    always has `expires_at`: the latest moment its token can still work.
    """

    key: str
    expires_at: datetime
    id: str | None = None
    pending_since: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "id": self.id, "expires_at": _iso(self.expires_at),
                "pending_since": _iso(self.pending_since)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeaseRecord:
        if not isinstance(data, Mapping):
            raise TypeError("a lease record is not an object")
        expires_at = _parse(_typed(data, "expires_at", str, ...))
        if expires_at is None:  # never: a lease without an expiry would never be swept
            raise TypeError("a lease has no expiry")
        return cls(key=_typed(data, "key", str, ...), expires_at=expires_at,
                   id=_token_id("id", _typed(data, "id", str, None)),
                   pending_since=_parse(data.get("pending_since")))


@dataclass(frozen=True)
class State:
    organization: str
    lineage: str
    serial: int = 0
    tokens: Mapping[str, TokenRecord] = field(default_factory=dict)
    version: int = STATE_VERSION
    # Lease name -> lease (`pstokens exec`); absent from files that never had one.
    leases: Mapping[str, LeaseRecord] = field(default_factory=dict)

    @classmethod
    def new(cls, organization: str) -> State:
        return cls(organization=organization, lineage=str(uuid.uuid4()))

    def with_token(self, key: str, record: TokenRecord | None) -> State:
        """A copy with one key set (or removed when `record` is None)."""
        tokens = dict(self.tokens)
        if record is None:
            tokens.pop(key, None)
        else:
            tokens[key] = record
        return replace(self, tokens=tokens)

    def with_lease(self, name: str, record: LeaseRecord | None) -> State:
        """A copy with one lease set (or removed when `record` is None)."""
        leases = dict(self.leases)
        if record is None:
            leases.pop(name, None)
        else:
            leases[name] = record
        return replace(self, leases=leases)

    def managed_ids(self) -> frozenset[str]:
        ids = {r.id for r in self.tokens.values() if r.id}
        ids.update(i for r in self.tokens.values() for i in r.retiring)
        return frozenset(ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "lineage": self.lineage,
            "serial": self.serial,
            "organization": self.organization,
            "tokens": {key: self.tokens[key].to_json() for key in sorted(self.tokens)},
            **({"leases": {name: self.leases[name].to_json() for name in sorted(self.leases)}}
               if self.leases else {}),
        }

    @classmethod
    def from_json(cls, data: Any, *, source: str = "state") -> State:
        if not isinstance(data, dict):
            raise DamagedState(f"{source} is not a pstokens state file (expected a JSON object)")
        version = data.get("version")
        if not isinstance(version, int):
            raise DamagedState(f"{source} has no state version")
        if version > STATE_VERSION:
            raise StateError(
                f"{source} was written by a newer pstokens (state version {version})",
                hint="upgrade pstokens to read it",
            )
        try:
            tokens = data["tokens"]
            if not isinstance(tokens, dict):
                raise TypeError("tokens is not an object")
            leases = data.get("leases") or {}
            if not isinstance(leases, dict):
                raise TypeError("leases is not an object")
            organization = _typed(data, "organization", str, ...)
            lineage = _typed(data, "lineage", str, ...)
            serial = _typed(data, "serial", int, ...)
        except (KeyError, TypeError) as exc:
            raise DamagedState(f"{source} is damaged: {_reason(exc)}") from None
        for key in tokens:
            if not TOKEN_KEY.fullmatch(str(key)):
                shown = str(key).encode("unicode_escape").decode()[:120]
                raise DamagedState(f"{source} is damaged: tokens.{shown}: not a valid key")
        state = cls(
            organization=organization,
            lineage=lineage,
            serial=serial,
            tokens={str(k): _record(TokenRecord.from_json, v, source, f"tokens.{k}")
                    for k, v in tokens.items()},
            version=version,
            leases={str(k): _record(LeaseRecord.from_json, v, source, f"leases.{k}")
                    for k, v in leases.items()},
        )
        _one_holder_each(state, source)
        return state


def _one_holder_each(state: State, source: str) -> None:
    """Refuse a state where one token ID is recorded twice (two keys, a key's own
    and retiring IDs, or a lease): acting on it would delete one key's live token
    as another's leftover."""
    seen: dict[str, str] = {}
    held = [(f"tokens.{k}", i) for k, r in state.tokens.items()
            for i in ((r.id,) if r.id else ()) + tuple(r.retiring)]
    held += [(f"leases.{n}", r.id) for n, r in state.leases.items() if r.id]
    for where, token_id in held:
        if token_id in seen:
            shown = where.encode("unicode_escape").decode()[:120]
            raise DamagedState(f"{source} is damaged: {shown}: token {token_id} is "
                               f"already recorded under {seen[token_id]}")
        seen[token_id] = where


def _record(read: Any, data: Any, source: str, where: str) -> Any:
    """One record read by `read`, or DamagedState naming the file, the record and
    the field, in words (never a Python exception's own)."""
    try:
        return read(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        shown = where.encode("unicode_escape").decode()[:120]
        raise DamagedState(f"{source} is damaged: {shown}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"`{exc.args[0]}` is missing"
    if isinstance(exc, TypeError):
        return str(exc)
    return "a time is not an ISO-8601 date and time"  # fromisoformat's ValueError


def _token_id(name: str, value: str | None) -> str | None:
    """`value` if it is a token ID as the API spells them (it becomes a path segment
    of API calls); TypeError naming the field otherwise."""
    if value is not None and PATH_SEGMENT.fullmatch(value) is None:
        raise TypeError(f"{name} {shown_value(value)} is not a valid token ID")
    return value


def _token_ids(name: str, values: Any) -> list[str]:
    checked = _check_strings(name, values)
    for value in checked:
        _token_id(name, value)
    return checked


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _typed(data: Mapping[str, Any], name: str, kind: type, default: Any) -> Any:
    """`data[name]` if it is a `kind` (or null where a default exists), else TypeError."""
    if name not in data:
        if default is ...:
            raise KeyError(name)
        return default
    value = data[name]
    if value is None and default is None:
        return None
    if not isinstance(value, kind):
        raise TypeError(f"{name} is not {_KINDS.get(kind, kind.__name__)}")
    return value


_KINDS = {int: "a whole number", str: "a string", dict: "an object", list: "a list",
          bool: "true or false"}


def _check_strings(name: str, values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} is not a list of strings")
    return values


def _times(name: str, values: dict[Any, Any]) -> dict[str, datetime]:
    times = {str(_token_id(name, str(k))): _parse(v) for k, v in values.items()}
    if any(t is None for t in times.values()):
        raise TypeError(f"{name} holds a time that is null")
    return {k: t for k, t in times.items() if t is not None}


def _parse(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("a time is not an ISO-8601 string")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
