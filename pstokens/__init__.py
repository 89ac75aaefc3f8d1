"""pstokens: PlanetScale service tokens and their accesses, managed as code.

The front door for Python: everything a library user needs is importable from
here, so no caller has to know the private modules behind it::

    from pstokens import Workspace, FileStateStore, PlanetScaleClient, load_config

`Workspace` is the engine service (plan, apply, report, who-can, exec, import,
export, state edits); the rest are its inputs (config, state stores, the
client, secret sinks, a `Notifier` such as `WebhookNotifier`), its
outputs (`Plan`, `ApplyResult`, the renderers) and every error it raises
(drawn in `pstokens.errors`). docs/python.md shows a whole run.

Every name loads on first use (PEP 562), so `import pstokens` costs nothing
and the CLI, which imports submodules, never pays for the names it does not
use; `S3StateStore` loads obstore only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pstokens.api.auth import Credentials, InvalidCredentials, MissingCredentials
    from pstokens.api.client import PlanetScaleClient
    from pstokens.api.errors import (
        ApiError,
        ConnectionFailed,
        Forbidden,
        InvalidRequest,
        NotFound,
        OutcomeUnknown,
        PermanentApiError,
        PermanentServerError,
        RateLimited,
        ServerError,
        TransientApiError,
        Unauthorized,
        UnexpectedStatus,
    )
    from pstokens.config.load import load_config, parse_config
    from pstokens.config.model import Config, InvalidConfig, Rules, TokenSpec
    from pstokens.delivery.base import SecretSink
    from pstokens.delivery.command import CommandSink
    from pstokens.delivery.directory import DirectorySink
    from pstokens.delivery.routing import AllSinks
    from pstokens.destinations import CommandDestination, DirDestination
    from pstokens.engine.applying.notifier import Notifier
    from pstokens.engine.applying.verify import UnverifiedToken
    from pstokens.engine.applying.writeguard import Refused, StateLocked
    from pstokens.engine.inventory.whocan import UnknownName
    from pstokens.engine.leases.child import CommandNotStarted
    from pstokens.engine.leases.lease import LeaseError
    from pstokens.engine.planning.outcome import ApplyInterrupted, ApplyResult
    from pstokens.engine.planning.plan import Plan
    from pstokens.engine.run import PlanOptions, Workspace
    from pstokens.errors import (
        ConfigError,
        ConfigFileError,
        DamagedState,
        InvalidDestination,
        LockHeld,
        OutputError,
        PlanError,
        PolicyDenied,
        PstokensError,
        RulesBroken,
        SecretDeliveryError,
        ServeError,
        StalePlan,
        StateEditRefused,
        StateError,
        UnsafePlan,
        UsageError,
    )
    from pstokens.operations import TableError
    from pstokens.render.json import plan_document, render_json
    from pstokens.render.markdown import render_markdown
    from pstokens.render.notifier import WebhookNotifier
    from pstokens.render.text import render_text
    from pstokens.state.base import StateStore
    from pstokens.state.model import State
    from pstokens.state.s3 import S3StateStore
    from pstokens.state.store import FileStateStore

_WHERE = {
    "Workspace": "pstokens.engine.run",
    "PlanOptions": "pstokens.engine.run",
    "Notifier": "pstokens.engine.applying.notifier",
    "WebhookNotifier": "pstokens.render.notifier",
    "Plan": "pstokens.engine.planning.plan",
    "ApplyResult": "pstokens.engine.planning.outcome",
    "ApplyInterrupted": "pstokens.engine.planning.outcome",
    "load_config": "pstokens.config.load",
    "parse_config": "pstokens.config.load",
    "Config": "pstokens.config.model",
    "TokenSpec": "pstokens.config.model",
    "Rules": "pstokens.config.model",
    "DirDestination": "pstokens.destinations",
    "CommandDestination": "pstokens.destinations",
    "InvalidConfig": "pstokens.config.model",
    "StateStore": "pstokens.state.base",
    "State": "pstokens.state.model",
    "FileStateStore": "pstokens.state.store",
    "S3StateStore": "pstokens.state.s3",
    "PlanetScaleClient": "pstokens.api.client",
    "Credentials": "pstokens.api.auth",
    "MissingCredentials": "pstokens.api.auth",
    "InvalidCredentials": "pstokens.api.auth",
    "SecretSink": "pstokens.delivery.base",
    "DirectorySink": "pstokens.delivery.directory",
    "CommandSink": "pstokens.delivery.command",
    "AllSinks": "pstokens.delivery.routing",
    "render_text": "pstokens.render.text",
    "render_json": "pstokens.render.json",
    "plan_document": "pstokens.render.json",
    "render_markdown": "pstokens.render.markdown",
    "PstokensError": "pstokens.errors",
    "UsageError": "pstokens.errors",
    "InvalidDestination": "pstokens.errors",
    "ConfigFileError": "pstokens.errors",
    "OutputError": "pstokens.errors",
    "ServeError": "pstokens.errors",
    "StateEditRefused": "pstokens.errors",
    "ConfigError": "pstokens.errors",
    "RulesBroken": "pstokens.errors",
    "StateError": "pstokens.errors",
    "DamagedState": "pstokens.errors",
    "LockHeld": "pstokens.errors",
    "PlanError": "pstokens.errors",
    "StalePlan": "pstokens.errors",
    "UnsafePlan": "pstokens.errors",
    "PolicyDenied": "pstokens.errors",
    "SecretDeliveryError": "pstokens.errors",
    "ApiError": "pstokens.api.errors",
    "PermanentApiError": "pstokens.api.errors",
    "Unauthorized": "pstokens.api.errors",
    "Forbidden": "pstokens.api.errors",
    "NotFound": "pstokens.api.errors",
    "InvalidRequest": "pstokens.api.errors",
    "PermanentServerError": "pstokens.api.errors",
    "UnexpectedStatus": "pstokens.api.errors",
    "TransientApiError": "pstokens.api.errors",
    "RateLimited": "pstokens.api.errors",
    "ServerError": "pstokens.api.errors",
    "ConnectionFailed": "pstokens.api.errors",
    "OutcomeUnknown": "pstokens.api.errors",
    "TableError": "pstokens.operations",
    "UnknownName": "pstokens.engine.inventory.whocan",
    "UnverifiedToken": "pstokens.engine.applying.verify",
    "LeaseError": "pstokens.engine.leases.lease",
    "CommandNotStarted": "pstokens.engine.leases.child",
    "Refused": "pstokens.engine.applying.writeguard",
    "StateLocked": "pstokens.engine.applying.writeguard",
}

__all__ = [
    "AllSinks",
    "ApiError",
    "ApplyInterrupted",
    "ApplyResult",
    "CommandDestination",
    "CommandNotStarted",
    "CommandSink",
    "Config",
    "ConfigError",
    "ConfigFileError",
    "ConnectionFailed",
    "Credentials",
    "DamagedState",
    "DirDestination",
    "DirectorySink",
    "FileStateStore",
    "Forbidden",
    "InvalidConfig",
    "InvalidCredentials",
    "InvalidDestination",
    "InvalidRequest",
    "LeaseError",
    "LockHeld",
    "MissingCredentials",
    "NotFound",
    "Notifier",
    "OutcomeUnknown",
    "OutputError",
    "PermanentApiError",
    "PermanentServerError",
    "Plan",
    "PlanError",
    "PlanOptions",
    "PlanetScaleClient",
    "PolicyDenied",
    "PstokensError",
    "RateLimited",
    "Refused",
    "Rules",
    "RulesBroken",
    "S3StateStore",
    "SecretDeliveryError",
    "SecretSink",
    "ServeError",
    "ServerError",
    "StalePlan",
    "State",
    "StateEditRefused",
    "StateError",
    "StateLocked",
    "StateStore",
    "TableError",
    "TokenSpec",
    "TransientApiError",
    "Unauthorized",
    "UnexpectedStatus",
    "UnknownName",
    "UnsafePlan",
    "UnverifiedToken",
    "UsageError",
    "WebhookNotifier",
    "Workspace",
    "__version__",
    "load_config",
    "parse_config",
    "plan_document",
    "render_json",
    "render_markdown",
    "render_text",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'pstokens' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
