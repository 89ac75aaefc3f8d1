"""The MCP adapter with the official MCP client, over real loopback HTTP, against the emulator."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent

from pstokens.adapters import AdapterServers

from .conftest import SERVE_TOKEN, Emulator, Seen, mcp_session

SEED_HINTS = {
    # tool: (readOnlyHint, destructiveHint, idempotentHint), as the seed marks them
    "list-service-tokens": (True, False, True),
    "create-service-token": (False, False, False),
    "get-service-token": (True, False, True),
    "delete-service-token": (False, True, True),
    "list-service-token-accesses": (True, False, True),
    "grant-service-token-access": (False, False, False),
    "revoke-service-token-access": (False, True, True),
    "plan-service-tokens": (True, False, True),
    "report-service-tokens": (True, False, True),
    "who-can": (True, False, True),
}


async def call(session: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert isinstance(result, CallToolResult)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    # The text content says the same as the structured content, for older clients.
    assert json.loads(text_of(result)) == result.structured_content
    structured: dict[str, Any] = result.structured_content
    return structured


async def fail(session: Client, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    assert isinstance(result, CallToolResult)
    assert result.is_error
    return text_of(result)


def text_of(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def test_lists_the_tools_with_the_seed_hints(
    servers: AdapterServers, seen: Seen
) -> None:
    async with mcp_session(servers, seen) as session:
        tools = (await session.list_tools()).tools

    assert {tool.name for tool in tools} == set(SEED_HINTS)
    for tool in tools:
        hints = tool.annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (
            SEED_HINTS[tool.name]
        ), tool.name
        assert tool.title and tool.description and tool.title in tool.description


async def test_tools_have_typed_input_schemas(servers: AdapterServers, seen: Seen) -> None:
    async with mcp_session(servers, seen) as session:
        schemas = {tool.name: tool.input_schema for tool in (await session.list_tools()).tools}

    def props(tool: str) -> dict[str, Any]:
        properties: dict[str, Any] = schemas[tool]["properties"]
        return properties

    def types(schema: dict[str, Any]) -> set[str]:
        return {option["type"] for option in schema.get("anyOf", [schema])}

    for tool in SEED_HINTS:
        assert schemas[tool]["type"] == "object"
    for tool in ("list-service-tokens", "create-service-token"):
        assert props(tool)["organization"]["type"] == "string"
        assert "pattern" in props(tool)["organization"]
    for tool in ("get-service-token", "delete-service-token", "list-service-token-accesses"):
        assert set(schemas[tool]["required"]) == {"organization", "service_token_id"}
        assert props(tool)["service_token_id"]["type"] == "string"
    create = props("create-service-token")
    assert schemas["create-service-token"]["required"] == ["organization"]
    assert types(create["name"]) == {"string", "null"}
    assert types(create["ttl"]) == {"integer", "null"}
    assert create["ttl"]["anyOf"][0]["minimum"] == 1
    for tool in ("grant-service-token-access", "revoke-service-token-access"):
        change = props(tool)
        assert set(schemas[tool]["required"]) == {"organization", "service_token_id", "access"}
        assert change["access"]["type"] == "array" and change["access"]["minItems"] == 1
        assert change["access"]["items"]["type"] == "string"
        assert "read_branch" in change["access"]["description"]
        assert types(change["database"]) == {"string", "null"}
    for tool in ("plan-service-tokens", "report-service-tokens"):
        assert "required" not in schemas[tool]
        assert types(props(tool)["config"]) == {"string", "null"}
        assert types(props(tool)["organization"]) == {"string", "null"}


async def test_every_token_tool_works_against_the_emulator(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str
) -> None:
    async with mcp_session(servers, seen) as session:
        created = await call(session, "create-service-token", organization=org,
                             name="agent-made", ttl=86400)
        token_id = created["id"]
        got = await call(session, "get-service-token", organization=org,
                         service_token_id=token_id)
        granted = await call(session, "grant-service-token-access", organization=org,
                             service_token_id=token_id, database="app-prod",
                             access=["read_branch", "connect_branch"])
        org_granted = await call(session, "grant-service-token-access", organization=org,
                                 service_token_id=token_id, access=["read_databases"])
        accesses = await call(session, "list-service-token-accesses", organization=org,
                              service_token_id=token_id)
        listed = await call(session, "list-service-tokens", organization=org)
        deleted = await call(session, "delete-service-token", organization=org,
                             service_token_id=token_id)

    assert created["token"].startswith("pscale_tkn_")
    assert created["name"] == "agent-made" and created["expires_at"] is not None
    assert got["id"] == token_id and got["token"] is None
    assert sorted(a["access"] for a in granted["data"]) == ["connect_branch", "read_branch"]
    assert len(org_granted["data"]) == 3
    assert {(a["access"], a["resource"]["name"]) for a in accesses["data"]} >= {
        ("read_branch", "app-prod"), ("connect_branch", "app-prod")
    }
    assert [t["id"] for t in listed["data"]] == [token_id]
    assert listed["data"][0]["token"] is None
    assert deleted == {"id": token_id, "deleted": True}
    assert emulator.store.token_count(org) == 0


async def test_listing_reads_every_page(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str
) -> None:
    for number in range(130):
        emulator.store.create_token(org, f"bulk-{number:03}")

    async with mcp_session(servers, seen) as session:
        listed = await call(session, "list-service-tokens", organization=org)

    assert listed["total_count"] == 130
    assert len({token["id"] for token in listed["data"]}) == 130


async def test_api_errors_come_back_as_tool_errors_naming_the_answer(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "typo")

    async with mcp_session(servers, seen) as session:
        missing = await fail(session, "get-service-token", organization=org,
                             service_token_id="nosuchtoken1")
        typo = await fail(session, "grant-service-token-access", organization=org,
                          service_token_id=token["id"], database="app-prod",
                          access=["read_brnch"])

    assert "404" in missing and "not_found" in missing and "lack the access" in missing
    assert "422" in typo and 'did you mean "read_branch"' in typo


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list-service-tokens", {"organization": ".."}),
        ("get-service-token", {"organization": "acme", "service_token_id": "../x"}),
        ("create-service-token", {"organization": "acme", "ttl": 0}),
        ("grant-service-token-access",
         {"organization": "acme", "service_token_id": "abc", "access": []}),
        ("revoke-service-token-access",
         {"organization": "acme", "service_token_id": "abc", "access": ["read_branch"],
          "database": "app prod"}),
        ("list-service-tokens", {}),
    ],
)
async def test_arguments_outside_the_schema_are_refused_before_any_call(
    servers: AdapterServers, seen: Seen, emulator: Emulator, tool: str, arguments: dict[str, Any]
) -> None:
    async with mcp_session(servers, seen) as session:
        result = await session.call_tool(tool, arguments)

    assert isinstance(result, CallToolResult) and result.is_error
    assert emulator.store.token_count("acme") == 0


CONFIG = """\
organization: {org}
tokens:
  ci-deploy:
    ttl: 90d
    accesses:
      databases:
        app-prod: [read_branch, create_deploy_request]
"""


async def test_plan_tool_returns_the_json_plan_and_writes_nothing(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str, tmp_path: Path,
    state_dir: Path,
) -> None:
    emulator.store.create_token(org, "hand-made")
    config = tmp_path / "pstokens.yaml"
    config.write_text(CONFIG.format(org=org))

    async with mcp_session(servers, seen) as session:
        plan = await call(session, "plan-service-tokens", config=str(config))

    assert plan["format_version"] == 1 and plan["organization"] == org
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [
        ("create", "ci-deploy"), ("grant", "ci-deploy")
    ]
    assert [u["name"] for u in plan["unmanaged"]] == ["hand-made"]
    assert plan["summary"]["create"] == 1
    assert not state_dir.exists()  # no state, no lock file
    assert emulator.store.token_count(org) == 1


async def test_plan_tool_takes_the_organization_when_the_config_names_none(
    servers: AdapterServers, seen: Seen, org: str, tmp_path: Path
) -> None:
    config = tmp_path / "pstokens.yaml"
    config.write_text("tokens: {}\n")
    other = tmp_path / "other.yaml"
    other.write_text("organization: someone-else\ntokens: {}\n")

    async with mcp_session(servers, seen) as session:
        plan = await call(session, "plan-service-tokens", config=str(config), organization=org)
        conflict = await fail(session, "plan-service-tokens", config=str(other),
                              organization=org)
        missing = await fail(session, "plan-service-tokens", config=str(tmp_path / "nope.yaml"))

    assert plan["organization"] == org and plan["changes"] == []
    assert "refuses to guess" in conflict
    assert "not found" in missing and "hint:" in missing


async def test_plan_tool_reports_every_config_problem(
    servers: AdapterServers, seen: Seen, tmp_path: Path
) -> None:
    config = tmp_path / "pstokens.yaml"
    config.write_text("organization: acme\ntokens:\n  ci:\n    accesses:\n"
                      "      organization: [read_brnch]\n    tll: 5d\n")

    async with mcp_session(servers, seen) as session:
        problems = await fail(session, "plan-service-tokens", config=str(config))

    assert "pstokens.yaml:5" in problems and "read_brnch" in problems
    assert "pstokens.yaml:6" in problems and "tll" in problems


async def test_plan_tool_refuses_a_config_that_breaks_its_own_rules(
    servers: AdapterServers, seen: Seen, tmp_path: Path
) -> None:
    config = tmp_path / "pstokens.yaml"
    config.write_text("organization: acme\nrules:\n  forbid_accesses: [delete_databases]\n"
                      "tokens:\n  ci:\n    accesses:\n"
                      "      organization: [delete_databases]\n")

    async with mcp_session(servers, seen) as session:
        refused = await fail(session, "plan-service-tokens", config=str(config))

    assert "pstokens.yaml:7" in refused and "forbid_accesses" in refused


async def test_the_new_secret_is_never_logged(
    servers: AdapterServers, seen: Seen, org: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async with mcp_session(servers, seen) as session:
        created = await call(session, "create-service-token", organization=org, name="quiet")

    secret, refresh = created["token"], created["plain_text_refresh_token"]
    assert secret.startswith("pscale_tkn_") and refresh.startswith("pscale_rtkn_")
    assert caplog.records  # logging was on, and something was logged
    for record in caplog.records:
        assert secret not in record.getMessage() and refresh not in record.getMessage()
    assert secret not in caplog.text and refresh not in caplog.text
    assert SERVE_TOKEN not in caplog.text


@pytest.mark.parametrize("token", [None, "wrong-token", SERVE_TOKEN + "x"])
async def test_a_client_without_the_serve_token_is_refused(
    servers: AdapterServers, seen: Seen, emulator: Emulator, token: str | None
) -> None:
    # anyio wraps the client's error in exception groups: look inside them.
    with pytest.raises(BaseException) as refused:
        async with mcp_session(servers, seen, token=token) as session:
            await session.call_tool("create-service-token", {"organization": "acme"})

    errors = _leaves(refused.value)
    assert any(isinstance(e, MCPError) and "Unauthorized" in str(e) for e in errors), errors
    assert emulator.store.token_count("acme") == 0


async def test_the_mcp_endpoint_answers_401_without_the_serve_token(
    servers: AdapterServers,
) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with httpx.AsyncClient() as http:
        response = await http.post(servers.url("MCP") + "/mcp", json=request)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["message"].startswith("Unauthorized")


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ("/etc/passwd", "outside"),
        ("../elsewhere/pstokens.yaml", "outside"),
        ("link/pstokens.yaml", "outside"),
        ("notes.txt", "not a .yaml"),
    ],
)
async def test_plan_tool_reads_only_yaml_files_under_its_directory(
    servers: AdapterServers, seen: Seen, tmp_path: Path, config: str, reason: str
) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "pstokens.yaml").write_text("organization: private-org\ntokens: {}\n")
    (tmp_path / "link").symlink_to(outside)
    (tmp_path / "notes.txt").write_text("organization: acme\ntokens: {}\n")

    async with mcp_session(servers, seen) as session:
        refused = await fail(session, "plan-service-tokens", config=config)

    assert reason in refused
    assert "root:" not in refused and "private-org" not in refused


async def test_plan_tool_reads_a_path_relative_to_its_directory(
    servers: AdapterServers, seen: Seen, tmp_path: Path, org: str
) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "team.yml").write_text(f"organization: {org}\ntokens: {{}}\n")

    async with mcp_session(servers, seen) as session:
        plan = await call(session, "plan-service-tokens", config="configs/team.yml")

    assert plan["organization"] == org
