"""MCP: grant and revoke as the API takes them, one-line argument errors, the plan
and report of serve's own config, and the refusal to delete what state protects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pstokens.adapters import AdapterServers

from .conftest import Emulator, Seen, mcp_session
from .test_mcp import call, fail
from .test_rest_accesses import protect

NO_DATABASE: list[dict[str, Any]] = [{}, {"database": None}, {"database": ""}]


@pytest.mark.parametrize("no_database", NO_DATABASE, ids=["missing", "null", "empty"])
async def test_grant_and_revoke_on_the_organization_take_database_missing_null_or_empty(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str,
    no_database: dict[str, Any],
) -> None:
    token, _ = emulator.store.create_token(org, "agent")
    target = {"organization": org, "service_token_id": token["id"], **no_database}

    async with mcp_session(servers, seen) as session:
        granted = await call(session, "grant-service-token-access", **target,
                             access=["read_databases", "read_organization"])
        revoked = await call(session, "revoke-service-token-access", **target,
                             access=["read_organization"])

    assert sorted(a["access"] for a in granted["data"]) == ["read_databases", "read_organization"]
    assert [a["access"] for a in revoked["data"]] == ["read_databases"]
    assert [a["resource"]["type"] for a in revoked["data"]] == ["Organization"]


async def test_revoke_on_a_database_is_idempotent(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "agent")
    emulator.store.grant(org, token["id"], ["read_branch", "connect_branch"], "app-prod")
    arguments = {"organization": org, "service_token_id": token["id"], "database": "app-prod",
                 "access": ["connect_branch"]}

    async with mcp_session(servers, seen) as session:
        first = await call(session, "revoke-service-token-access", **arguments)
        again = await call(session, "revoke-service-token-access", **arguments)

    assert first == again
    assert [(a["access"], a["resource"]["name"]) for a in again["data"]] == [
        ("read_branch", "app-prod")
    ]


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ({"accesses": ["read_databases"]},
         'unknown argument "accesses" (did you mean "access"?)'),
        ({"access": ["read_databases"], "databse": "app-prod"},
         'unknown argument "databse" (did you mean "database"?)'),
        ({}, 'argument "access" is required'),
        ({"access": "read_databases"}, 'argument "access": input should be a valid list'),
        ({"access": ["read_branch"], "database": "app prod"},
         'argument "database": string should match pattern'),
        ({"access": ["Read Branch"], "database": "app-prod"},
         'argument "access.0": string should match pattern'),
    ],
)
async def test_a_wrong_argument_is_one_line_naming_it(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str,
    arguments: dict[str, Any], said: str,
) -> None:
    token, _ = emulator.store.create_token(org, "agent")

    async with mcp_session(servers, seen) as session:
        text = await fail(session, "grant-service-token-access", organization=org,
                          service_token_id=token["id"], **arguments)

    assert text.startswith("grant-service-token-access: ")
    assert said in text
    assert "\n" not in text and "pydantic" not in text and "validation error" not in text
    assert "app prod" not in text and "Read Branch" not in text  # values are never echoed
    assert emulator.store.accesses(org, token["id"]) == []


async def test_deleting_a_token_state_marks_prevent_destroy_is_refused(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str, state_dir: Path
) -> None:
    token, _ = emulator.store.create_token(org, "ci-deploy")
    protect(state_dir, org, "ci-deploy", token["id"])

    async with mcp_session(servers, seen) as session:
        refused = await fail(session, "delete-service-token", organization=org,
                             service_token_id=token["id"])

    assert f'delete service token "{token["id"]}" in "{org}": refusing to delete' in refused
    assert '"ci-deploy"' in refused and "prevent_destroy" in refused and "hint:" in refused
    assert emulator.store.token_count(org) == 1


async def test_plan_with_no_arguments_plans_the_config_serve_was_started_with(
    servers: AdapterServers, seen: Seen, org: str, serve_config: Path, tmp_path: Path
) -> None:
    serve_config.parent.mkdir(parents=True)
    serve_config.write_text(f"organization: {org}\ntokens:\n  ci: {{}}\n")
    (tmp_path / "pstokens.yaml").write_text("organization: not-this-one\ntokens: {}\n")

    async with mcp_session(servers, seen) as session:
        plan = await call(session, "plan-service-tokens")
        # The operator's -c may lie anywhere; a caller's path stays under serve's folder.
        outside = await fail(session, "plan-service-tokens", config=str(serve_config))

    assert plan["organization"] == org
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("create", "ci")]
    assert "outside" in outside


async def test_report_reviews_every_live_token_against_the_rules(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str, serve_config: Path,
    state_dir: Path,
) -> None:
    admin, _ = emulator.store.create_token(org, "legacy-admin")
    emulator.store.grant(org, admin["id"], ["delete_databases", "read_databases"])
    managed, _ = emulator.store.create_token(org, "ci")
    emulator.store.grant(org, managed["id"], ["read_branch"], "app-prod")
    protect(state_dir, org, "ci", managed["id"], on=False)
    serve_config.parent.mkdir(parents=True)
    serve_config.write_text(
        f"organization: {org}\nrules:\n  forbid_accesses: [delete_databases]\ntokens:\n  ci: {{}}\n"
    )

    async with mcp_session(servers, seen) as session:
        report = await call(session, "report-service-tokens")

    by_name = {row["name"]: row for row in report["tokens"]}
    assert report["organization"] == org and set(by_name) == {"legacy-admin", "ci"}
    assert by_name["ci"]["key"] == "ci" and by_name["legacy-admin"]["managed"] is False
    assert by_name["ci"]["accesses"]["databases"] == {"app-prod": ["read_branch"]}
    assert [(v["rule"], v["token_id"]) for v in report["violations"]] == [
        ("forbid_accesses", admin["id"])
    ]
    assert emulator.store.token_count(org) == 2  # read only


async def test_report_with_no_config_reviews_the_named_organization_without_rules(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str
) -> None:
    emulator.store.create_token(org, "by-hand")

    async with mcp_session(servers, seen) as session:
        report = await call(session, "report-service-tokens", organization=org)
        unnamed = await fail(session, "report-service-tokens")

    assert report["rules"] is None and [r["name"] for r in report["tokens"]] == ["by-hand"]
    assert "not found" in unnamed and "\n" not in unnamed.strip()
