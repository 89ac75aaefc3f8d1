"""The documented Python API refuses a wrong type with a `UsageError` saying what it
expected, never Python's own AttributeError or TypeError from deep inside (a
new-user trial: `ws.plan(None)`, a path for the store, a client for `connect`,
`render_text(None)`, a string for credentials)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pstokens import (
    Credentials,
    FileStateStore,
    PlanetScaleClient,
    PlanOptions,
    UsageError,
    Workspace,
    load_config,
    plan_document,
    render_json,
    render_markdown,
    render_text,
)
from tests.e2e.conftest import API_KEY, Emulator, write_config

CONFIG = "organization: acme\ntokens:\n  ci:\n    accesses:\n      organization: [read_databases]\n"


@pytest.fixture
def made(emulator: Emulator, workdir: Path) -> dict[str, Any]:
    """What a caller would pass a Workspace, each of the right kind."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    return {"organization": "acme", "store": FileStateStore(workdir / "state" / "acme.json"),
            "connect": lambda: PlanetScaleClient(emulator.url, Credentials.bearer(API_KEY)),
            "config": load_config(workdir / "pstokens.yaml")}


@pytest.mark.parametrize(("field", "wrong", "says"), [
    ("store", "state/acme.json", "Workspace store must be a state store, not str "
                                 "'state/acme.json'"),
    ("config", "pstokens.yaml", "Workspace config must be a Config"),
    ("organization", None, "Workspace organization must be the organization's name"),
    ("lock_timeout", "soon", "Workspace lock_timeout must be seconds"),
])
def test_a_workspace_of_a_wrong_type_is_a_usage_error(
    made: dict[str, Any], field: str, wrong: object, says: str
) -> None:
    with pytest.raises(UsageError) as caught:
        Workspace(**(made | {field: wrong}))
    assert says in caught.value.message


def test_a_client_given_as_connect_says_to_give_a_function(
    made: dict[str, Any], emulator: Emulator
) -> None:
    client = PlanetScaleClient(emulator.url, Credentials.bearer(API_KEY))
    with pytest.raises(UsageError) as caught:
        Workspace(**(made | {"connect": client}))
    assert caught.value.message == ("Workspace connect must be a function that opens a "
                                    "client, not PlanetScaleClient")
    assert "connect=lambda: PlanetScaleClient(url, credentials)" in (caught.value.hint or "")


@pytest.mark.parametrize("options", [None, {"targets": ["ci"]}, "ci"])
def test_plan_and_apply_refuse_options_that_are_not_plan_options(
    made: dict[str, Any], emulator: Emulator, options: object
) -> None:
    workspace = Workspace(**made)
    for run in (workspace.plan, workspace.apply):
        with pytest.raises(UsageError, match="options must be a PlanOptions"):
            asyncio.run(run(options))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="saved must be a Plan"):
        asyncio.run(workspace.apply(saved={"changes": []}))  # type: ignore[arg-type]
    assert emulator.tokens() == []


@pytest.mark.parametrize("render", [render_text, render_json, render_markdown, plan_document])
def test_a_renderer_given_no_plan_says_it_wants_one(render: Callable[[Any], Any]) -> None:
    with pytest.raises(UsageError, match=r"plan must be a Plan \(from Workspace.plan\(\)"):
        render(None)


def test_a_client_given_a_string_for_credentials_never_shows_it() -> None:
    with pytest.raises(UsageError) as caught:
        PlanetScaleClient("https://api.example.test/v1", "pscale_tkn_secret")  # type: ignore[arg-type]
    assert caught.value.message == "PlanetScaleClient credentials must be Credentials, not str"
    assert "pscale_tkn_secret" not in f"{caught.value.message} {caught.value.hint}"


def test_plan_options_with_no_destination_are_refused_when_made() -> None:
    with pytest.raises(UsageError, match="default_deliver lists no destination"):
        PlanOptions(default_deliver=())
