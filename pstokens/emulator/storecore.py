"""The emulator store's data, its lock and data file, and what its reads and writes share.

`store.py` builds the API's reads and writes (and the tests' knobs) on this;
kept apart so each stays small. Nothing here knows HTTP.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from pstokens.emulator import auditlog, persist, shapes
from pstokens.emulator.persist import StoreData
from pstokens.emulator.records import (
    DATABASE,
    ORGANIZATION,
    Access,
    Resource,
    Token,
    new_id,
    stable_id,
    utc_now,
)
from pstokens.emulator.shared_file import SharedFileLock


class NotFound(KeyError):
    """No such token in that organization."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Not Found"


class StoreCore:
    """The data behind `EmulatorStore`: organizations, tokens, the audit log, the
    lock around them and the file they are saved to (`data_path`, or memory)."""

    def __init__(
        self,
        data_path: Path | None = None,
        *,
        seed: int | None = None,
        clock: Callable[[], datetime] = utc_now,
        refresh_tokens: bool = False,
    ) -> None:
        """`refresh_tokens` makes each create answer carry a one-time
        `plain_text_refresh_token` (else null, as for most tokens), so tests
        can prove a client treats it as the secret it is."""
        self.data_path = data_path
        self.refresh_tokens = refresh_tokens
        self._clock = clock
        # IDs are not secrets; a seeded generator keeps benchmark runs reproducible.
        self._rng = random.Random(seed)  # noqa: S311
        # Re-entrant: tests mutate from their own thread while a served copy runs in another.
        # A data file may be shared with other processes: then each change re-reads it first.
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if data_path is None else SharedFileLock(data_path, self.load))
        self._data = StoreData()
        self._taken: set[str] = set()
        # Each token's JSON as list pages show it, kept until the token changes:
        # a page of 100 is then joined, not built, so the emulator's own time
        # stays small beside the latency it emulates.
        self._rendered: dict[str, bytes] = {}
        # Tokens whose credentials tests made the API refuse (`refuse`), in memory only.
        self._refused: set[str] = set()
        self._refused_names: set[str] = set()
        self.load()

    # -- persistence -----------------------------------------------------------

    def load(self) -> None:
        """(Re)read the data file; without one, start empty."""
        with self._lock:
            self._data = persist.load(self.data_path) if self.data_path else StoreData()
            self._rendered.clear()
            # IDs seen before stay taken: a token deleted since is still refused (401).
            self._taken |= {
                item_id
                for tokens in self._data.tokens.values()
                for token in tokens.values()
                for item_id in (token.id, *(a.id for a in token.accesses))
            }

    def locked(self) -> AbstractContextManager[object]:
        """Hold the store (and its data file, when shared) across several changes."""
        return self._lock

    def save(self) -> None:
        """Write the data file now (writes already do this on their own)."""
        with self._lock:
            if self.data_path is not None:
                persist.save(self.data_path, self._data)

    # -- internals -------------------------------------------------------------

    def _audit(self, org: str, action: str, token: Token,
               metadata: dict[str, Any] | None = None) -> None:
        """The event PlanetScale writes for a write to `token` (committed with it)."""
        log = self._data.audit.setdefault(org, [])
        auditlog.record(log, action, self._clock(), None, token, metadata=metadata)

    def _commit(self) -> None:
        if self.data_path is not None:
            persist.save(self.data_path, self._data)

    def _changed(self, token_id: str) -> None:
        """Commit a change to one token, forgetting its rendered JSON."""
        self._rendered.pop(token_id, None)
        self._commit()

    def _rendered_json(self, org: str, token: Token) -> bytes:
        rendered = self._rendered.get(token.id)
        if rendered is None:
            rendered = self._rendered[token.id] = shapes.dump(self._token_json(org, token))
        return rendered

    def _org_tokens(self, org: str) -> dict[str, Token]:
        return self._data.tokens.get(org, {})

    def _find(self, org: str, token_id: str) -> Token:
        token = self._org_tokens(org).get(token_id)
        if token is None:
            raise NotFound(f"no service token {token_id!r} in organization {org!r}")
        return token

    def _new_id(self) -> str:
        item_id = new_id(self._rng, self._taken)
        self._taken.add(item_id)
        return item_id

    def _token_json(self, org: str, token: Token) -> dict[str, Any]:
        return shapes.token_json(token, lambda a: self._resource_of(org, a))

    def _resource_of(self, org: str, access: Access) -> Resource:
        if access.database is None:
            return self._org_resource(org)
        return self._database_resource(access.database)

    def _org_resource(self, org: str, at: datetime | None = None) -> Resource:
        return _resource(self._data.organizations, org, ORGANIZATION, at or self._clock())

    def _database_resource(self, database: str) -> Resource:
        return _resource(self._data.databases, database, DATABASE, self._clock())


def _resource(table: dict[str, Resource], name: str, kind: str, at: datetime) -> Resource:
    # Made on first use with a name-derived ID, then kept, so IDs and times stay stable.
    resource = table.get(name)
    if resource is None:
        resource = table[name] = Resource(stable_id(kind, name), name, kind, at)
    return resource
