"""The read-only MCP tools' work: `plan-service-tokens` and `report-service-tokens`.

Each reads config, state and the live organization and changes nothing (no
lock, no write), so an agent can ask as often as it likes. Asked for no file,
a tool uses the config `serve` was started with (`-c`). Asked for one, it reads
only YAML files under one directory: a config error quotes the file, and a
caller must not use that to read anything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pstokens.api.client import PlanetScaleClient
from pstokens.config import load_config
from pstokens.engine.planner import PlanOptions
from pstokens.engine.refresh import fresh_plan
from pstokens.engine.report import read_report
from pstokens.errors import PstokensError
from pstokens.render import plan_document
from pstokens.render.rules import config_error
from pstokens.state import FileStateStore, StateStore


def default_state_store(organization: str) -> StateStore:
    return FileStateStore(Path("state") / f"{organization}.json")


class Planner:
    """Plans a config file against the live organization, through the shared client."""

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
        error = config_error(config)
        if error is not None:  # as `pstokens plan` does: a config must keep its own rules
            raise error
        store = self._state_store(config.organization)
        state = await asyncio.to_thread(store.load, config.organization)
        plan = await fresh_plan(self._client, config, state, PlanOptions())
        return plan_document(plan)

    async def report(
        self, config_path: str | None = None, organization: str | None = None
    ) -> dict[str, Any]:
        """`pstokens report --format json`: every live token, managed or not, with
        its accesses, expiry, last use and rule violations. With no config named
        and none where serve's `-c` points, `organization` is reviewed without rules."""
        org = organization or self._organization
        path = self.default_config if config_path is None else self.config_file(config_path)
        rules = None
        if config_path is not None or org is None or path.exists():
            config = await asyncio.to_thread(load_config, path, organization=org)
            org, rules = config.organization, config.rules
        store = self._state_store(org)
        state = await asyncio.to_thread(store.load, org)
        report = await read_report(self._client, org, state, rules)
        return report.to_json()

    @property
    def state_store(self) -> Callable[[str], StateStore]:
        return self._state_store

    def config_file(self, config_path: str) -> Path:
        """The config's path, if it is a YAML file under `root` (symbolic links resolved)."""
        path = (self.root / Path(config_path).expanduser()).resolve()
        if not path.is_relative_to(self.root):
            raise PstokensError(
                f"{config_path} is outside {self.root}: the plan tool reads configs under "
                "the directory `pstokens serve` runs in, only",
                hint="give a path under that directory, or run serve from the config's directory",
            )
        if path.suffix not in (".yaml", ".yml"):
            raise PstokensError(f"{config_path} is not a .yaml or .yml file")
        return path
