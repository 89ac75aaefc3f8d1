"""Notification comes from the engine service, so every caller's runs notify alike.

The CLI, `serve` and a library caller each inject a notifier into `Workspace`;
these tests run an apply through the library and through the CLI against the
same emulator and receivers, and hold the bodies each sends to be the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pstokens import (
    ConnectionFailed,
    Credentials,
    DirDestination,
    FileStateStore,
    PlanetScaleClient,
    PlanOptions,
    UsageError,
    WebhookNotifier,
    Workspace,
    load_config,
)
from pstokens.adapters import ToolBackend
from pstokens.api import RetryPolicy
from pstokens.notify import send
from tests.e2e.conftest import API_KEY, Cli, Emulator, write_config
from tests.receiver import Receiver, receiver

CONFIG = """\
organization: {org}
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
notify:
  - url_env: PSTOKENS_WEBHOOK
"""


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send, "DEFAULT_POLICY", send.Policy(attempts=1, attempt_timeout=2.0,
                                                            backoff=0.01, deadline=10.0))


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with receiver() as hook:
        monkeypatch.setenv("PSTOKENS_WEBHOOK", hook.url)
        yield hook


def _bodies(hook: Receiver) -> list[dict[str, Any]]:
    bodies = [json.loads(r.body) for r in hook.requests]
    hook.requests.clear()
    return bodies


def _library_workspace(emulator: Emulator, path: Path, warned: list[str]) -> Workspace:
    config = load_config(path)
    return Workspace(
        config.organization, FileStateStore(path.parent / "library-state.json"),
        connect=lambda: PlanetScaleClient(emulator.url, Credentials.bearer(API_KEY)),
        config=config, notifier=WebhookNotifier(config.notify, config.organization,
                                                warn=warned.append),
    )


def test_a_library_apply_sends_the_notification_the_cli_sends(
    cli: Cli, emulator: Emulator, workdir: Path, hook: Receiver
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(org="acme"))
    assert cli("apply", "--auto-approve", "--secrets-dir", "secrets").code == 0
    [by_cli] = _bodies(hook)

    library = write_config(workdir / "library.yaml", CONFIG.format(org="beta"))
    warned: list[str] = []
    workspace = _library_workspace(emulator, library, warned)
    options = PlanOptions(default_deliver=(DirDestination(str(workdir / "lib-secrets")),))
    _, result = asyncio.run(workspace.apply(options))
    [by_library] = _bodies(hook)

    assert result is not None and not result.errors and warned == []
    assert by_cli["event"] == by_library["event"] == "applied"
    assert by_library == json.loads(json.dumps(by_cli).replace('"acme"', '"beta"')
                                    .replace("pstokens: acme:", "pstokens: beta:"))


def test_a_library_plan_notifies_as_pstokens_plan_does_and_a_look_does_not(
    cli: Cli, emulator: Emulator, workdir: Path, hook: Receiver
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(org="acme"))
    assert cli("plan").code == 0
    by_cli = _bodies(hook)

    workspace = _library_workspace(emulator, workdir / "pstokens.yaml", [])
    asyncio.run(workspace.plan())
    by_library = _bodies(hook)
    asyncio.run(workspace.plan(lock=False, notify=False))  # a look, as the MCP tool's

    assert [b["event"] for b in by_cli] == ["drift"]
    assert by_library == by_cli and hook.requests == []


def test_an_apply_stopped_by_an_error_tells_of_it_and_a_refused_one_does_not(
    emulator: Emulator, workdir: Path, hook: Receiver
) -> None:
    path = write_config(workdir / "pstokens.yaml", CONFIG.format(org="acme"))
    workspace = _library_workspace(emulator, path, [])
    once = RetryPolicy(max_attempts=1, base_delay=0.0, jitter="none")
    workspace.connect = lambda: PlanetScaleClient(  # nobody listens there
        "http://127.0.0.1:9/v1", Credentials.bearer(API_KEY), retry=once)

    with pytest.raises(ConnectionFailed):
        asyncio.run(workspace.apply())
    [failed] = _bodies(hook)
    with pytest.raises(UsageError, match="nope"):
        asyncio.run(workspace.apply(PlanOptions(targets=frozenset({"nope"}))))

    assert failed["event"] == "apply_failed" and failed["text"].startswith(
        "pstokens: acme: apply failed: ")
    assert hook.requests == []


def test_serve_opens_workspaces_with_the_notifier_of_their_config(
    workdir: Path, hook: Receiver
) -> None:
    path = write_config(workdir / "pstokens.yaml", CONFIG.format(org="acme"))
    made: list[str] = []

    def notifiers(config: Any) -> WebhookNotifier:
        made.append(config.organization)
        return WebhookNotifier(config.notify, config.organization)

    backend = ToolBackend(None, root=workdir, notifiers=notifiers)  # type: ignore[arg-type]
    workspace = asyncio.run(backend.opener.load(path))

    assert made == ["acme"] and isinstance(workspace.notifier, WebhookNotifier)


def test_a_webhook_notifier_refuses_a_string_for_its_entries() -> None:
    from pstokens import UsageError

    with pytest.raises(UsageError, match="not a string"):
        WebhookNotifier("http://x", "acme")  # type: ignore[arg-type]
