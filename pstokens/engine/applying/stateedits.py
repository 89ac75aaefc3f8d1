"""The engine service's state lock and its state edits: `import`, `export --adopt`,
`state rm|mv|push|unlock`.

A mixin of `Workspace` (`engine/run.py`, which takes the lock for a plan or
apply through `locked` too), so every caller edits state the way a plan or
apply does: the state read before the lock (a damaged one refused at once),
the lock taken (waiting up to `lock_timeout`), the state read again under it,
the API called, and one `save`, which refuses to overwrite a version written
since that read. The rules of each edit live here (which key may take which
token, a push's lineage and serial); the CLI asks and renders the
typed result each returns.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pstokens.defaults import KEY_RULE, TOKEN_KEY
from pstokens.engine.applying.locks import hold_lock
from pstokens.engine.inventory.adopt import (
    Adoption,
    adopt_by_name,
    adopt_exported,
    adopt_one,
    check_adoptable,
    check_importable,
)
from pstokens.engine.inventory.export import assign_keys
from pstokens.engine.planning.arguments import check_text, opened
from pstokens.engine.planning.stale import Moved, state_moves
from pstokens.engine.reading.observe import read_organization, read_token
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import DamagedState, StateEditRefused, StateError, UsageError
from pstokens.expected import expect
from pstokens.state.base import LockHolder, StateStore
from pstokens.state.model import State, TokenRecord
from pstokens.state.store import FileStateStore

if TYPE_CHECKING:
    from pstokens.config.model import Config


@dataclass(frozen=True)
class Exported:
    """What `export` read: each live token under its key, and (with `adopt`) the
    config text recorded as adopted in `location`."""

    keys: Mapping[str, LiveToken]
    text: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class PushPreview:
    """What a push is about to do, told before it writes: the keys it moves, or
    (with `force`) why the state there is replaced unread."""

    location: str
    moves: tuple[Moved, ...] = ()
    damaged: str | None = None  # the state there could not be read: why


@dataclass(frozen=True)
class Pushed:
    """A push's outcome: the state written, or None when `location` already held it."""

    location: str
    serial: int
    written: State | None


class StateEdits:
    """`Workspace`'s state edits (it supplies these attributes)."""

    organization: str
    store: StateStore
    connect: Callable[[], AbstractAsyncContextManager[TokenApi]]
    config: Config | None
    lock_timeout: float

    def read_state(self) -> State:
        return self.store.load(self.organization)

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Hold the state lock (waiting up to `lock_timeout`) for one call: what the
        caller's own writes run under (the adapters share holds: `engine.locks`)."""
        async with hold_lock(self.store, self.lock_timeout):
            yield

    def _maybe_locked(self, lock: bool) -> AbstractAsyncContextManager[None]:
        return self.locked() if lock else contextlib.nullcontext()

    def force_unlock(self, lock_id: str) -> LockHolder:
        """`state unlock`: remove a lock a killed run left, if its ID is `lock_id`."""
        return self.store.unlock(lock_id)

    def forget(self, key: str) -> TokenRecord:
        """`state rm`: forget `key` (its token is left alone); returns its record."""
        self.read_state()
        with self.store.locked(self.lock_timeout):
            state = self.read_state()
            record = state.tokens.get(key)
            if record is None:
                raise StateEditRefused(f"{key!r} is not in state",
                                       hint="see `pstokens state list`")
            self.store.save(state.with_token(key, None))
        return record

    def rename(self, old: str, new: str) -> TokenRecord:
        """`state mv`: key `old` becomes `new` (its token is not touched); returns its
        record. Refused when `new` is not a valid key or is already in state, or
        is `old` itself: there is nothing to move (and no key to remove first)."""
        if not isinstance(old, str) or not isinstance(new, str):
            raise UsageError(f"keys are strings, not {old!r} and {new!r}", hint=KEY_RULE)
        if old == new:
            raise UsageError(f"{old!r} and {new!r} are the same key: there is nothing to move",
                             hint="name the new key second: `pstokens state mv OLD NEW`")
        if TOKEN_KEY.fullmatch(new) is None:
            raise UsageError(f"{new!r} is not a valid key", hint=KEY_RULE)
        self.read_state()
        with self.store.locked(self.lock_timeout):
            state = self.read_state()
            record = state.tokens.get(old)
            if record is None:
                raise StateEditRefused(f"{old!r} is not in state",
                                       hint="see `pstokens state list`")
            if new in state.tokens:
                raise StateEditRefused(
                    f"{new!r} is already in state (token {state.tokens[new].id or '-'})",
                    hint=f"`pstokens state rm {new}` first if that key should go",
                )
            self.store.save(state.with_token(old, None).with_token(new, record))
        return record

    def push(self, file: str, *, force: bool = False,
             show: Callable[[PushPreview], None] | None = None) -> Pushed:
        """`state push`: the local state `file` becomes the state here, if it is of
        the same lineage and not older (equal serials must hold the same keys). With
        `force`, a state here that cannot be read is replaced. `show` sees what the
        push changes before it writes."""
        if not isinstance(file, str | os.PathLike):
            expect(file, str, "file", "the path of a local state file, such as "
                   "\"state/acme.json\"")
        store = self.store
        source = FileStateStore(file)
        if Path(file).resolve() == Path(store.location).resolve():
            raise UsageError(
                f"{file} is the configured state itself: there is nothing to push",
                hint="name the destination with --state (or PSTOKENS_STATE)",
            )
        if not source.exists():
            raise UsageError(f"state file {file} does not exist",
                             hint="name the local state file to upload, e.g. "
                             "`pstokens state push state/acme.json`")
        try:
            local = source.load(self.organization)
        except DamagedState as exc:  # the file pushed, not the state here: that is untouched
            raise DamagedState(
                exc.message,
                hint=f"this is the file being pushed; the state at {store.location} is "
                "untouched: push a good state file instead",
            ) from None
        tell = show or (lambda _: None)
        with store.locked(self.lock_timeout):
            try:
                there: State | None = store.load(self.organization)
            except DamagedState as exc:
                if not force:
                    raise
                there = None
                tell(PushPreview(store.location, damaged=exc.message))
            if there is not None and store.exists():
                _check_push(file, local, store.location, there)
                if local.serial == there.serial:
                    return Pushed(store.location, local.serial, None)
                local = replace(local, serial=max(local.serial, there.serial))
            if there is not None:
                moves = state_moves({k: r.id for k, r in there.tokens.items()},
                                    {k: r.id for k, r in local.tokens.items()})
                tell(PushPreview(store.location, tuple(moves)))
            written = store.save(local)
        return Pushed(store.location, written.serial, written)

    async def adopt(self, key: str, token_id: str) -> Adoption:
        """`import KEY TOKEN_ID`: the live token `token_id` becomes `key` in state."""
        check_text(key, "key", "the config key to adopt the token as")
        check_text(token_id, "token_id", "the live token's ID")
        config = self._config()
        check_importable(self.read_state(), config, key, token_id)
        async with self.locked():
            state = self.read_state()
            async with opened(self.connect) as client:
                token = await read_token(client, self.organization, token_id)
            return self._record(adopt_one(state, config, key, token))

    async def adopt_by_name(self) -> Adoption:
        """`import --by-name`: every config key outside state whose name exactly one
        live token has takes that token; a name several share is left (`ambiguous`)."""
        config = self._config()
        self.read_state()
        async with self.locked():
            state = self.read_state()
            async with opened(self.connect) as client:
                live = await read_organization(
                    client, self.organization,
                    lambda t: t.name is not None and t.name in config.tokens)
            return self._record(adopt_by_name(state, config, live))

    async def export(self, *, adopt: Callable[[Mapping[str, LiveToken]], str] | None = None,
                     ) -> Exported:
        """`export`: every live token under a key of its own. With `adopt` (which
        writes the config the keys make), that config must read back as one, and
        every key is recorded with its token in a state that has none yet."""
        if adopt is None:
            return Exported(await self._export_keys())
        from pstokens.config.load import parse_config

        where = self.store.location
        check_adoptable(self.read_state(), where)
        async with self.locked():
            state = self.read_state()
            check_adoptable(state, where)
            keys = await self._export_keys()
            text = adopt(keys)
            parse_config(text, filename="the exported config")  # what the next plan reads
            self.store.save(adopt_exported(state, keys, where).state)
        return Exported(keys, text, where)

    async def _export_keys(self) -> dict[str, LiveToken]:
        async with opened(self.connect) as client:
            live = await read_organization(client, self.organization, lambda _: True)
        return assign_keys(live.values())

    def _record(self, adoption: Adoption) -> Adoption:
        if adoption.adopted:
            self.store.save(adoption.state)
        return adoption

    def _config(self) -> Config:
        if self.config is None:
            raise UsageError("this needs a config file", hint="pass -c FILE")
        return self.config


def _check_push(file: str, local: State, location: str, there: State) -> None:
    """A push keeps one lineage and never goes back: refused otherwise."""
    if local.lineage != there.lineage:
        raise StateError(
            f"{file} is another state than {location} (lineage {local.lineage}, "
            f"not {there.lineage})",
            hint="push only a copy of the same state; `pstokens state pull` shows what is there",
        )
    if local.serial < there.serial:
        raise StateError(
            f"{file} is older than {location} (serial {local.serial}, not {there.serial})",
            hint="`pstokens state pull` gets the newer one",
        )
    if local.serial == there.serial and local.tokens != there.tokens:
        raise StateError(
            f"{file} and {location} both have serial {local.serial} "
            "but differ: each changed since they parted",
            hint="compare them (`pstokens state pull`) and push the right one "
            "after the next apply",
        )
