"""`who-can` over REST and MCP: the same answer as `pstokens who-can --format json`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from pstokens.adapters import AdapterServers
from pstokens.adapters.whocan import WHO_CAN_PATH
from pstokens.cli.main import main
from pstokens.state import FileStateStore, State
from pstokens.state.model import TokenRecord
from tests.adapters.conftest import CRED_ID, CRED_SECRET, Emulator, Seen, mcp_session
from tests.adapters.test_mcp import call

HOSTILE = "<img src=x onerror=alert(1)>\x1b[31m"


def seed(emulator: Emulator, org: str, state_dir: Path) -> dict[str, str]:
    store = emulator.store
    ids = {}
    for name, database, accesses in (
        ("deployer", "app-prod", ["connect_production_branch"]),
        (HOSTILE, "app-prod", ["promote_branches", "read_branch"]),
        ("staging-only", "app-staging", ["promote_branches"]),
        ("reader", "app-prod", ["read_branch"]),
        ("legacy-admin", None, ["delete_databases"]),  # undescribed by the API
    ):
        token, _ = store.create_token(org, name)
        store.grant(org, token["id"], accesses, database)
        ids[name] = token["id"]
    state = State.new(org).with_token("deployer", TokenRecord(id=ids["deployer"],
                                                                name="deployer"))
    FileStateStore(state_dir / f"{org}.json").save(state)
    return ids


def cli_answer(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
               emulator: Emulator, org: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("PLANETSCALE_API_URL", emulator.url)
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN_ID", CRED_ID)
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN", CRED_SECRET)
    monkeypatch.setenv("PSTOKENS_RATE_LIMIT", "0")
    capsys.readouterr()
    try:
        main(["--org", org, "who-can", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_rest_mcp_and_cli_give_the_same_tokens_with_via(
    rest: httpx.AsyncClient, servers: AdapterServers, seen: Seen, emulator: Emulator, org: str,
    state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # REST reads state/<org>.json from here, as serve does
    ids = seed(emulator, org, state_dir)
    expected: list[dict[str, Any]] = [
        {"id": ids[HOSTILE], "name": HOSTILE, "key": None,
         "via": [{"access": "promote_branches", "database": "app-prod"}], "possibly": False},
        {"id": ids["deployer"], "name": "deployer", "key": "deployer",
         "via": [{"access": "connect_production_branch", "database": "app-prod"}],
         "possibly": False},
    ]

    response = await rest.get(f"/v1/organizations/{org}/who-can/promote_branch",
                              params={"database": "app-prod"})
    assert response.status_code == 200, response.text
    assert response.json() == expected
    async with mcp_session(servers, seen) as session:
        answer = await call(session, "who-can", organization=org, operation="promote_branch",
                            database="app-prod")
    assert answer == {"tokens": expected}
    # The CLI runs its own event loop: off this test's.
    code, out, err = await asyncio.to_thread(
        cli_answer, capsys, monkeypatch, emulator, org, "promote_branch", "--database",
        "app-prod", "--format", "json", "--state", str(state_dir / f"{org}.json"))
    assert code == 0, err
    assert json.loads(out) == expected

    everywhere = await rest.get(f"/v1/organizations/{org}/who-can/promote_branch")
    assert [a["name"] for a in everywhere.json()] == [HOSTILE, "deployer", "staging-only"]


async def test_rest_mcp_and_cli_name_a_token_possibly_able_by_an_undescribed_access(
    rest: httpx.AsyncClient, servers: AdapterServers, seen: Seen, emulator: Emulator, org: str,
    state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    ids = seed(emulator, org, state_dir)
    expected = [{"id": ids["legacy-admin"], "name": "legacy-admin", "key": None,
                 "via": [{"access": "delete_databases", "database": None}], "possibly": True}]
    response = await rest.get(f"/v1/organizations/{org}/who-can/delete_database",
                              params={"database": "app-prod"})
    assert response.status_code == 200, response.text
    assert response.json() == expected
    async with mcp_session(servers, seen) as session:
        answer = await call(session, "who-can", organization=org, operation="delete_database")
    assert answer == {"tokens": expected}
    code, out, err = await asyncio.to_thread(
        cli_answer, capsys, monkeypatch, emulator, org, "delete_database", "--format", "json",
        "--state", str(state_dir / f"{org}.json"))
    assert code == 0, err
    assert json.loads(out) == expected


async def test_an_unknown_operation_names_the_closest_and_calls_nothing(
    rest: httpx.AsyncClient, servers: AdapterServers, seen: Seen, emulator: Emulator, org: str,
) -> None:
    response = await rest.get(f"/v1/organizations/{org}/who-can/promote_brnch")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found", "message": "unknown operation 'promote_brnch' "
        "(did you mean 'promote_branch'?) (hint: operation ids are the API's operationId, "
        "such as promote_branch; docs/who-can.md says where the table comes from)"}
    async with mcp_session(servers, seen) as session:
        result = await session.call_tool("who-can", {"organization": org,
                                                     "operation": "promote_brnch"})
    assert result.is_error
    assert "did you mean 'promote_branch'?" in json.dumps(result.model_dump(mode="json"))


async def test_without_the_serve_token_the_endpoint_is_refused(
    servers: AdapterServers, org: str
) -> None:
    async with httpx.AsyncClient(base_url=servers.url("REST")) as anonymous:
        response = await anonymous.get(f"/v1/organizations/{org}/who-can/promote_branch")
    assert response.status_code == 401


def test_cli_text_escapes_a_hostile_name(
    emulator: Emulator, org: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    seed(emulator, org, tmp_path / "state")
    code, out, err = cli_answer(capsys, monkeypatch, emulator, org, "promote_branch")
    assert code == 0, err
    assert "\x1b" not in out
    assert out.splitlines()[1] == "3 tokens can perform it:"
    assert "via promote_branches on app-prod" in out
    assert "via promote_branches on app-staging" in out


async def test_the_who_can_answer_fits_the_openapi_document(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, state_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    seed(emulator, org, state_dir)
    document = (await rest.get("/openapi.json")).json()
    schema = document["paths"][WHO_CAN_PATH]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    for operation in ("promote_branch", "delete_database"):
        answer = (await rest.get(f"/v1/organizations/{org}/who-can/{operation}")).json()
        assert answer
        Draft202012Validator({**document, **schema}).validate(answer)
    assert schema["items"]["properties"]["possibly"]["type"] == "boolean"
    assert schema["items"]["properties"]["via"]["items"]["required"] == ["access", "database"]


async def test_the_mcp_tool_defaults_the_organization_to_serves_config(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str, state_dir: Path,
    serve_config: Path,
) -> None:
    ids = seed(emulator, org, state_dir)
    async with mcp_session(servers, seen) as session:
        missing = await session.call_tool("who-can", {"operation": "promote_branch"})
        serve_config.parent.mkdir(parents=True)
        serve_config.write_text(f"organization: {org}\ntokens:\n  deployer: {{}}\n")
        answer = await call(session, "who-can", operation="promote_branch")
        named = await call(session, "who-can", operation="promote_branch", organization=org)
    assert missing.is_error
    assert "name the organization" in json.dumps(missing.model_dump(mode="json"))
    assert answer == named
    assert {a["id"] for a in answer["tokens"]} == {ids[HOSTILE], ids["deployer"],
                                                  ids["staging-only"]}
