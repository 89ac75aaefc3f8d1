"""REST: organization grants however `database` is left out, revoke, the API's
`/access` path, the refusal to delete what state protects, and the refresh token."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from pstokens.state import FileStateStore, State, TokenRecord

from .conftest import Emulator

NO_DATABASE: list[dict[str, Any]] = [{}, {"database": None}, {"database": ""}]


def token_path(org: str, token_id: str) -> str:
    return f"/v1/organizations/{org}/service-tokens/{token_id}"


def protect(state_dir: Path, org: str, key: str, token_id: str, *, on: bool = True) -> None:
    """Write the organization's state as an apply would, mapping `key` to `token_id`."""
    record = TokenRecord(id=token_id, name=key, prevent_destroy=on)
    FileStateStore(state_dir / f"{org}.json").save(State.new(org).with_token(key, record))


@pytest.mark.parametrize("suffix", ["accesses", "access"])
@pytest.mark.parametrize("no_database", NO_DATABASE, ids=["missing", "null", "empty"])
async def test_an_organization_grant_and_revoke_take_database_missing_null_or_empty(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, suffix: str,
    no_database: dict[str, Any],
) -> None:
    token, _ = emulator.store.create_token(org, "org-level")
    path = f"{token_path(org, token['id'])}/{suffix}"
    body = {**no_database, "access": ["read_databases", "read_organization"]}

    granted = await rest.post(path, json=body)
    held = [a["access"] for a in emulator.store.accesses(org, token["id"])]
    revoked = await rest.request("DELETE", path, json=body)

    assert granted.status_code == 200, granted.text
    assert sorted(held) == ["read_databases", "read_organization"]
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["data"] == []
    assert emulator.store.accesses(org, token["id"]) == []


async def test_revoke_on_a_database_leaves_the_rest(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "deployer")
    emulator.store.grant(org, token["id"], ["read_branch", "create_branch"], "app-prod")
    emulator.store.grant(org, token["id"], ["read_branch"], "app-staging")

    revoked = await rest.request(
        "DELETE", f"{token_path(org, token['id'])}/accesses",
        json={"database": "app-prod", "access": ["create_branch"]},
    )

    assert revoked.status_code == 200
    assert sorted((a["access"], a["resource"]["name"]) for a in revoked.json()["data"]) == [
        ("read_branch", "app-prod"), ("read_branch", "app-staging")
    ]


async def test_a_wrong_revoke_is_the_api_422_passed_on(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "x")
    response = await rest.request(
        "DELETE", f"{token_path(org, token['id'])}/access", json={"access": ["read_branch"]}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_params"


async def test_deleting_a_token_state_marks_prevent_destroy_is_refused_with_409(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, state_dir: Path
) -> None:
    token, _ = emulator.store.create_token(org, "ci-deploy")
    protect(state_dir, org, "ci-deploy", token["id"])

    response = await rest.delete(token_path(org, token["id"]))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert f'refusing to delete service token "{token["id"]}"' in body["message"]
    assert '"ci-deploy"' in body["message"] and "prevent_destroy" in body["message"]
    assert "pstokens apply" in body["message"]  # how to lift it
    assert emulator.store.token_count(org) == 1
    document = (await rest.get("/openapi.json")).json()
    one = "/v1/organizations/{organization}/service-tokens/{service-token-id}"
    documented = document["paths"][one]["delete"]["responses"]["409"]
    schema = documented["content"]["application/json"]["schema"]
    Draft202012Validator({**document, **schema}).validate(body)


async def test_a_token_state_does_not_protect_is_deleted(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, state_dir: Path
) -> None:
    kept, _ = emulator.store.create_token(org, "kept")
    other, _ = emulator.store.create_token(org, "other")
    protect(state_dir, org, "other", other["id"], on=False)

    assert (await rest.delete(token_path(org, other["id"]))).status_code == 204
    assert (await rest.delete(token_path(org, kept["id"]))).status_code == 204  # not in state
    assert emulator.store.token_count(org) == 0


async def test_a_delete_is_refused_when_state_cannot_be_read_to_tell(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, state_dir: Path
) -> None:
    token, _ = emulator.store.create_token(org, "maybe-protected")
    state_dir.mkdir(parents=True)
    (state_dir / f"{org}.json").write_text("{not json")

    response = await rest.delete(token_path(org, token["id"]))

    assert response.status_code == 409
    assert "could not be read to check prevent_destroy" in response.json()["message"]
    assert emulator.store.token_count(org) == 1


async def test_create_returns_the_refresh_token_once_and_never_logs_it(
    rest: httpx.AsyncClient, org: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    created = (await rest.post(f"/v1/organizations/{org}/service-tokens", json={})).json()
    got = (await rest.get(token_path(org, created["id"]))).json()
    listed = (await rest.get(f"/v1/organizations/{org}/service-tokens")).json()

    refresh = created["plain_text_refresh_token"]
    assert refresh.startswith("pscale_rtkn_") and created["token"].startswith("pscale_tkn_")
    assert got["plain_text_refresh_token"] is None
    assert [t["plain_text_refresh_token"] for t in listed["data"]] == [None]
    assert refresh not in caplog.text and created["token"] not in caplog.text
