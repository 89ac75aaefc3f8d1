"""The read-only MCP tools' work: `plan-service-tokens` and `report-service-tokens`.

Each runs through the engine service (`pstokens.engine.run.Workspace`, opened
by `pstokens.engine.open.Opener`, which loads the config), as the CLI does,
and changes nothing (no lock, no write), so an agent can ask as
often as it likes. Asked for no file, a tool uses the config `serve` was
started with (`-c`). Asked for one, it reads only YAML files under one
directory: a config error quotes the file, and a caller must not use that to
read anything else.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pstokens.api.client import PlanetScaleClient
from pstokens.engine.open import Notifiers, Opener, StateStores, default_store
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.run import Judge, isolated
from pstokens.errors import UsageError
from pstokens.render import plan_document


class ToolBackend:
    """What the plan and report tools answer with: a config file planned, or the
    organization reviewed, against the live organization through the shared client."""

    def __init__(
        self,
        client: PlanetScaleClient,
        state_store: StateStores = default_store,
        organization: str | None = None,
        root: Path | None = None,
        default_config: Path | None = None,
        *,
        lock_timeout: float = 0.0,
        notifiers: Notifiers | None = None,
    ) -> None:
        """`state_store` maps an organization to its state store (as --state does);
        `organization` is --org / PLANETSCALE_ORG, used when a call names none;
        configs a call names are read under `root` only (default: the working
        directory); `default_config` is the one planned when a call names none
        (the operator's `-c`, so it may lie anywhere; default `pstokens.yaml`).
        The engine's `Opener` loads each config and opens its workspace (with the
        notifier `notifiers` makes of it, and `lock_timeout` for the writes' guard)."""
        self._client = client
        self._organization = organization
        self.opener = Opener(self._shared, state_store, lock_timeout,
                             judge=Judge(plan_document, evaluate=isolated), notifiers=notifiers)
        self.root = (root or Path.cwd()).resolve()
        self.default_config = (self.root / (default_config or Path("pstokens.yaml"))).resolve()

    async def plan(
        self, config_path: str | None = None, organization: str | None = None
    ) -> dict[str, Any]:
        """The JSON plan for the config at `config_path` (relative to `root`),
        or for `default_config` when it is None."""
        path = self.default_config if config_path is None else self.config_file(config_path)
        workspace = await self.opener.load(path, organization or self._organization)
        # A look, not a run: no lock, and no `notify:` entry hears of it (an agent may
        # ask as often as it likes).
        plan = await workspace.plan(lock=False, notify=False)
        return plan_document(plan)

    async def report(
        self, config_path: str | None = None, organization: str | None = None
    ) -> dict[str, Any]:
        """`pstokens report --format json`: every live token, managed or not, with
        its accesses, expiry, last use and rule violations. With no config named
        and none where serve's `-c` points, `organization` is reviewed without rules."""
        org = organization or self._organization
        path = self.default_config if config_path is None else self.config_file(config_path)
        if config_path is not None or org is None or path.exists():
            workspace = await self.opener.load(path, org)
        else:
            workspace = self.opener.workspace(org)
        report = await workspace.report()
        return report.to_json()

    async def organization(self, organization: str | None = None) -> str:
        """`organization`, else --org, else the one `default_config` names: what
        plan and report would act on when a call names none."""
        org = organization or self._organization
        if org is not None:
            return org
        if not self.default_config.exists():
            raise UsageError(
                "name the organization: serve was started without --org, and "
                f"{self.default_config.name} (its -c config) does not exist",
                hint="pass `organization`, or start serve with --org or a -c config")
        return (await self.opener.load(self.default_config)).organization

    @property
    def state_store(self) -> StateStores:
        return self.opener.stores

    @contextlib.asynccontextmanager
    async def _shared(self) -> AsyncIterator[TokenApi]:
        """The client serve shares between its adapters: lent, not closed."""
        yield self._client

    def config_file(self, config_path: str) -> Path:
        """The config's path, if it is a YAML file under `root` (symbolic links resolved)."""
        path = (self.root / Path(config_path).expanduser()).resolve()
        if not path.is_relative_to(self.root):
            raise UsageError(
                f"{config_path} is outside {self.root}: the plan tool reads configs under "
                "the directory `pstokens serve` runs in, only",
                hint="give a path under that directory, or run serve from the config's directory",
            )
        if path.suffix not in (".yaml", ".yml"):
            raise UsageError(f"{config_path} is not a .yaml or .yml file")
        return path
