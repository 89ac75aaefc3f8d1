"""A command's context: what it needs, built from its settings (config, state
store, API client, and the engine service over them).

Everything that reads a file or the network is behind a method here, so each
command reads in a fixed, safe order: config first, then state, then the API.
(`pstokens.api.session.HttpSession` is the other kind of session: it sends HTTP.)
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property

import click

from pstokens.api.auth import Credentials, MissingCredentials
from pstokens.api.client import PlanetScaleClient
from pstokens.cli.settings import EMULATOR_DATA, Settings, resolve
from pstokens.config import Config, load_config
from pstokens.engine.run import Judge, Workspace, isolated
from pstokens.errors import ConfigFileError, PstokensError
from pstokens.state import FileStateStore, State, StateStore

EMULATOR_ORG_FALLBACK = "acme"


def current_context() -> CommandContext:
    """The context of the command running now, from its global options."""
    return CommandContext(resolve(click.get_current_context().find_root().obj or {}))


@dataclass
class CommandContext:
    settings: Settings

    @cached_property
    def config(self) -> Config:
        return load_config(self.settings.config_path, organization=self.settings.org)

    @property
    def organization(self) -> str:
        return self.config.organization

    @cached_property
    def store(self) -> StateStore:
        return self.state_store(self.organization)

    def state_store(self, organization: str) -> StateStore:
        """The one place a --state value becomes a store: s3:// is an S3 object
        (obstore is imported only then), anything else a local file."""
        location = self.settings.state_location(organization)
        if location.lower().startswith("s3:"):
            from pstokens.state.s3 import S3StateStore

            return S3StateStore(location, operation=_operation())
        return FileStateStore(location)

    def read_state(self) -> State:
        return self.store.load(self.organization)

    def review_workspace(self) -> Workspace:
        """For the commands that only read (report, who-can, calendar): the config's
        workspace; when no config is named (-c, PSTOKENS_CONFIG) and none is found,
        the organization named by --org or PLANETSCALE_ORG, without rules (without
        either, an error that says so). A named config that is missing is an
        error, as it is for plan."""
        settings = self.settings
        organization = settings.org
        if not settings.config_named and not settings.config_path.exists():
            if organization is not None:
                return self.workspace(organization, config=False)
            raise ConfigFileError(
                f"config file {settings.config_path} not found",
                hint="pass --org NAME (or set PLANETSCALE_ORG) to read an organization "
                     "without a config, or -c FILE")
        return self.workspace()

    def workspace(self, organization: str | None = None, *, config: bool = True) -> Workspace:
        """The engine service for this command: the config (unless `config` is
        False), its state store, the API client, and --lock-timeout."""
        if config:
            loaded: Config | None = self.config
            organization = self.organization
        else:
            loaded = None
            assert organization is not None
        from pstokens.cli.notices import cli_notifier
        from pstokens.render.json import plan_document

        return Workspace(
            organization, self.state_store(organization) if not config else self.store,
            connect=lambda: self.client(organization), config=loaded,
            lock_timeout=self.settings.lock_timeout, judge=Judge(plan_document, evaluate=isolated),
            notifier=cli_notifier(loaded) if loaded is not None else None,
        )

    # What `serve` needs (pstokens.adapters.serve.ServeSource)

    def serve_client(self) -> contextlib.AbstractAsyncContextManager[PlanetScaleClient]:
        """The client `serve` shares between its adapters. The embedded emulator
        seeds --org, else the config's organization, else "acme": `serve` needs
        no config file (its plan tool reports a broken one when asked to plan)."""
        organization = self.settings.org
        if organization is None:
            try:
                organization = self.organization
            except PstokensError:
                organization = EMULATOR_ORG_FALLBACK
        return self.client(organization=organization)

    @property
    def default_organization(self) -> str | None:
        return self.settings.org

    @contextlib.asynccontextmanager
    async def client(self, organization: str | None = None) -> AsyncIterator[PlanetScaleClient]:
        """A client for the real API, or for the embedded emulator with --emulator."""
        settings = self.settings
        # What is loaded by now lives until exit. Reading a large organization
        # makes many objects, and each full collection would walk all of this
        # again (tens of ms per pass): take it out of the collector's view.
        gc.freeze()
        if settings.debug:
            # Only pstokens' own loggers, which never log headers, bodies or secrets.
            logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
            logging.getLogger("pstokens").setLevel(logging.DEBUG)
        if settings.emulator:
            from pstokens.emulator.embedded import embedded_transport

            org = organization or self.organization
            transport = embedded_transport(EMULATOR_DATA, org)
            client = PlanetScaleClient(
                "http://emulator.invalid/v1",
                Credentials.bearer("embedded-emulator"),
                transport=transport,
                rate_limit=settings.rate_limit or 0,
                parallelism=settings.parallelism,
            )
        else:
            try:
                credentials = Credentials.from_env(os.environ)
            except MissingCredentials as exc:
                raise MissingCredentials(exc.message, hint="or pass --emulator to try "
                                         "pstokens locally") from None
            client = PlanetScaleClient(
                settings.api_url,
                credentials,
                rate_limit=600 if settings.rate_limit is None else settings.rate_limit,
                parallelism=settings.parallelism,
            )
        async with client:
            yield client


def _operation() -> str:
    """The command being run ("pstokens apply"), for the lock to say what holds it."""
    ctx = click.get_current_context(silent=True)
    return ctx.command_path if ctx is not None else "pstokens"
