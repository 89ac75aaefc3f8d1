"""The read-only MCP tools' work: `plan-service-tokens` and `report-service-tokens`.

Each runs through the engine service (`pstokens.engine.run.Workspace`), as the
CLI does, and changes nothing (no lock, no write), so an agent can ask as
often as it likes. Asked for no file, a tool uses the config `serve` was
started with (`-c`). Asked for one, it reads only YAML files under one
directory: a config error quotes the file, and a caller must not use that to
read anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from pstokens.api.client import PlanetScaleClient
from pstokens.config import Config, load_config
from pstokens.defaults import default_state_path
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.run import Judge, Workspace, isolated
from pstokens.errors import UsageError
from pstokens.render import plan_document
from pstokens.state import FileStateStore, StateStore


def default_state_store(organization: str) -> StateStore:
    return FileStateStore(default_state_path(organization))


class ToolBackend:
    """What the plan and report tools answer with: a config file planned, or the
    organization reviewed, against the live organization through the shared client."""

    def __init__(
        self,
        client: PlanetScaleClient,
        state_store: Callable[[str], StateStore] = default_state_store,
        organization: str | None = None,
        root: Path | None = None,
        default_config: Path | None = None,
    ) -> None:
        """`state_store` maps an organization to its state store (as --state does);
        `organization` is --org / PLANETSCALE_ORG, used when a call names none;
        configs a call names are read under `root` only (default: the working
        directory); `default_config` is the one planned when a call names none
        (the operator's `-c`, so it may lie anywhere; default `pstokens.yaml`)."""
        self._client = client
        self._state_store = state_store
        self._organization = organization
        self.root = (root or Path.cwd()).resolve()
        self.default_config = (self.root / (default_config or Path("pstokens.yaml"))).resolve()

    async def plan(
        self, config_path: str | None = None, organization: str | None = None
    ) -> dict[str, Any]:
        """The JSON plan for the config at `config_path` (relative to `root`),
        or for `default_config` when it is None."""
        path = self.default_config if config_path is None else self.config_file(config_path)
        org = organization or self._organization
        # File reads happen off the event loop: both adapters share it.
        config = await asyncio.to_thread(load_config, path, organization=org)
        plan = await self._workspace(config.organization, config).plan(lock=False)
        return plan_document(plan)

    async def report(
        self, config_path: str | None = None, organization: str | None = None
    ) -> dict[str, Any]:
        """`pstokens report --format json`: every live token, managed or not, with
        its accesses, expiry, last use and rule violations. With no config named
        and none where serve's `-c` points, `organization` is reviewed without rules."""
        org = organization or self._organization
        path = self.default_config if config_path is None else self.config_file(config_path)
        config = None
        if config_path is not None or org is None or path.exists():
            config = await asyncio.to_thread(load_config, path, organization=org)
            org = config.organization
        report = await self._workspace(org, config).report()
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
        config = await asyncio.to_thread(load_config, self.default_config)
        return config.organization

    @property
    def state_store(self) -> Callable[[str], StateStore]:
        return self._state_store

    def _workspace(self, organization: str, config: Config | None) -> Workspace:
        return Workspace(organization, self._state_store(organization), self._shared,
                         config=config, judge=Judge(plan_document, evaluate=isolated))

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
