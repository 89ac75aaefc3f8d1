"""What a library caller hands the engine service, checked at its door.

A wrong type (a path where a state store goes, a client where a function that
opens one goes, None where a `PlanOptions` goes) would otherwise surface deep
inside as Python's own `AttributeError` or `TypeError`; here it is a
`UsageError` saying what was expected. Only the entry points check: the values
they pass on are then what the rest of the engine relies on.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from pstokens.config.model import Config
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions
from pstokens.errors import UsageError
from pstokens.expected import expect, given

# What a state store answers to (`pstokens.state.base.StateStore`).
_STORE = ("location", "exists", "load", "save", "locked", "unlock")
# What a notifier answers to (`pstokens.engine.applying.notifier.Notifier`).
_NOTIFIER = ("planned", "applied", "apply_failed")


def check_workspace(organization: object, store: object, connect: object,
                    config: object, lock_timeout: object, notifier: object = None) -> None:
    """A `Workspace`'s inputs, each of the kind it takes."""
    if not isinstance(organization, str) or not organization:
        raise UsageError(f"Workspace organization must be the organization's name, not "
                         f"{given(organization)}")
    missing = [name for name in _STORE if not hasattr(store, name)]
    if missing:
        raise UsageError(
            f"Workspace store must be a state store, not {given(store)}",
            hint="give FileStateStore(\"state/acme.json\") (or S3StateStore), not a path")
    if not callable(connect):
        raise UsageError(
            f"Workspace connect must be a function that opens a client, not "
            f"{type(connect).__name__}",
            hint="give connect=lambda: PlanetScaleClient(url, credentials): the "
            "workspace opens and closes a client for each run")
    if config is not None:
        expect(config, Config, "Workspace config", "a Config from load_config(path), or None")
    if (not isinstance(lock_timeout, int | float) or isinstance(lock_timeout, bool)
            or lock_timeout < 0):
        raise UsageError(f"Workspace lock_timeout must be seconds (0 or more), not "
                         f"{given(lock_timeout)}")
    missing = [name for name in _NOTIFIER if not callable(getattr(notifier, name, None))]
    if notifier is not None and missing:
        raise UsageError(
            f"Workspace notifier must be a Notifier (such as WebhookNotifier), not "
            f"{given(notifier)}",
            hint="give WebhookNotifier(config.notify, organization), or None for nobody")


def opened(connect: Any) -> AbstractAsyncContextManager[Any]:
    """What the Workspace's `connect` returns when called: a client to open with
    `async with`, or UsageError (it returned something else)."""
    client = connect()
    if not (hasattr(client, "__aenter__") and hasattr(client, "__aexit__")):
        raise UsageError(
            f"Workspace connect must return a client to open with `async with`, but it "
            f"returned {type(client).__name__}",
            hint="give connect=lambda: PlanetScaleClient(url, credentials)")
    return client  # type: ignore[no-any-return]


def check_text(value: object, what: str, example: str) -> None:
    """A name, key, ID or path a Workspace method takes as text."""
    expect(value, str, what, example)


def check_plan_options(options: object) -> None:
    expect(options, PlanOptions, "options", "a PlanOptions (EVERYTHING for every key)")


def check_plan(plan: object, what: str) -> None:
    expect(plan, Plan, what, "a Plan (from Workspace.plan() or Plan.from_json())")


def check_flag(value: Any, what: str) -> None:
    expect(value, bool, what, "True or False")
