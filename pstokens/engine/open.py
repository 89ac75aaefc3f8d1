"""Opening the engine service from what a caller holds: config paths, state locations.

`serve`'s adapters know paths and options, not configs or state stores: they
hand them to an `Opener`, which loads the config (off the event loop: the
adapters share it), picks each organization's state store, and builds the
`Workspace` every plan, report and who-can runs through, with the notifier
the config's `notify:` entries make. It also gives the guard the adapters'
writes run under (`engine/applying/writeguard.py`), so they take the same
state lock. Which store an organization's state is in comes from the caller
(`stores`: the CLI's --state; an S3 store would bring httpx into the engine),
else `default_store`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path

from pstokens.config import Config, load_config
from pstokens.defaults import default_state_path
from pstokens.engine.applying.locks import StateStores
from pstokens.engine.applying.notifier import Notifier
from pstokens.engine.applying.writeguard import WriteGuard
from pstokens.engine.planning.judging import Judge
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.run import Workspace
from pstokens.state.base import StateStore
from pstokens.state.store import FileStateStore

__all__ = ["Notifiers", "Opener", "StateStore", "StateStores", "default_store"]

Notifiers = Callable[[Config], Notifier | None]  # a config -> who hears of its runs


def default_store(organization: str) -> StateStore:
    """Where an organization's state is when --state does not say: state/ORG.json."""
    return FileStateStore(default_state_path(organization))


@dataclass
class Opener:
    """Workspaces over one client: `connect` lends it, `stores` maps an organization to
    its state store (as --state does), `notifiers` a config to its notifier."""

    connect: Callable[[], AbstractAsyncContextManager[TokenApi]]
    stores: StateStores = default_store
    lock_timeout: float = 0.0
    judge: Judge = field(default_factory=Judge)
    notifiers: Notifiers | None = None

    def workspace(self, organization: str, config: Config | None = None) -> Workspace:
        """`organization`'s workspace, with `config`'s rules and notifier when given."""
        notifier = (self.notifiers(config) if config is not None and self.notifiers
                    else None)
        return Workspace(organization, self.stores(organization), self.connect,
                         config=config, lock_timeout=self.lock_timeout, judge=self.judge,
                         notifier=notifier)

    async def load(self, path: Path, organization: str | None = None) -> Workspace:
        """The workspace of the config at `path` (`organization`: --org, which must
        agree with the config's if both name one)."""
        config = await asyncio.to_thread(load_config, path, organization=organization)
        return self.workspace(config.organization, config)

    def guard(self) -> WriteGuard:
        """What the adapters' writes run under: each organization's state lock
        (waiting up to `lock_timeout`), and `prevent_destroy` for a delete."""
        return WriteGuard(self.stores, self.lock_timeout)
