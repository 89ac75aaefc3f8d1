"""Granting, revoking and listing accesses over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pstokens.emulator import EmulatorSettings, EmulatorStore

from .conftest import Emulator

NOT_FOUND = {"code": "not_found", "message": "Not Found"}
THREE = ["read_branch", "create_branch", "delete_branch"]


def _access_path(emu: Emulator, org: str, token_id: str, suffix: str = "access") -> str:
    return f"{emu.tokens_path(org)}/{token_id}/{suffix}"


def _held(items: list[dict[str, Any]]) -> set[tuple[str, str | None]]:
    return {
        (i["access"], i["resource"]["name"] if i["resource"]["type"] == "Database" else None)
        for i in items
    }


def test_three_accesses_are_granted_in_one_post_and_revoked_in_one_delete(
    shared: Emulator, org: str
) -> None:
    token = shared.create(org, name="ci")
    path = _access_path(shared, org, token["id"])
    shared.store.grant(org, token["id"], ["read_organization"])

    granted = shared.api.post(path, json={"database": "app-prod", "access": THREE})
    revoked = shared.api.request("DELETE", path, json={"database": "app-prod", "access": THREE})

    assert granted.status_code == 200
    assert granted.json()["type"] == "list"
    assert _held(granted.json()["data"]) == {("read_organization", None)} | {
        (a, "app-prod") for a in THREE
    }
    assert revoked.status_code == 200
    assert _held(revoked.json()["data"]) == {("read_organization", None)}


def test_access_items_have_the_official_client_shape(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])
    shared.api.post(path, json={"database": "app-prod", "access": ["read_branch"]})
    shared.api.post(path, json={"access": ["read_databases"]})

    items = shared.api.get(path).json()["data"]

    db_item, org_item = items
    assert set(db_item) == {"id", "type", "access", "resource"}
    assert db_item["type"] == "DatabaseAccess"
    assert db_item["resource"]["type"] == "Database"
    assert db_item["resource"]["name"] == "app-prod"
    assert set(db_item["resource"]) == {"id", "type", "name", "created_at", "updated_at"}
    assert org_item["type"] == "OrganizationAccess"
    assert (org_item["resource"]["type"], org_item["resource"]["name"]) == ("Organization", org)


def test_the_token_embeds_its_accesses_in_the_openapi_shape(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    shared.store.grant(org, token["id"], ["read_branch"], "app-prod")

    got = shared.api.get(f"{shared.tokens_path(org)}/{token['id']}").json()
    listed = shared.api.get(shared.tokens_path(org)).json()["data"][0]

    (item,) = got["service_token_accesses"]
    assert listed["service_token_accesses"] == got["service_token_accesses"]
    assert item["access"] == "read_branch"
    assert item["description"]
    assert (item["resource_name"], item["resource_type"]) == ("app-prod", "Database")
    assert item["resource_id"] == item["resource"]["id"]
    assert set(item["resource"]) == {"id", "name", "created_at", "updated_at", "deleted_at"}
    assert item["resource"]["deleted_at"] is None


def test_granting_a_held_access_adds_no_duplicate(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])
    body = {"database": "app-prod", "access": ["read_branch", "read_branch"]}

    first = shared.api.post(path, json=body).json()["data"]
    again = shared.api.post(path, json=body).json()["data"]

    assert len(first) == 1
    assert again == first


def test_revoking_an_access_not_held_is_a_no_op(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])
    shared.api.post(path, json={"database": "app-prod", "access": ["read_branch"]})

    response = shared.api.request(
        "DELETE", path, json={"database": "app-staging", "access": ["read_branch"]}
    )

    assert response.status_code == 200
    assert _held(response.json()["data"]) == {("read_branch", "app-prod")}


def test_level_mismatches_are_invalid_params(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])

    with_db = shared.api.post(path, json={"database": "app-prod", "access": ["read_databases"]})
    without_db = shared.api.post(path, json={"access": ["read_branch"]})

    for response in (with_db, without_db):
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_params"
    assert "read_databases" in with_db.json()["message"]
    assert "read_branch" in without_db.json()["message"]
    assert shared.store.accesses(org, token["id"]) == []


def test_an_unknown_access_is_invalid_params_naming_it(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])

    response = shared.api.post(
        path, json={"database": "app-prod", "access": ["read_branch", "read_brnch"]}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_params"
    assert '"read_brnch"' in response.json()["message"]
    assert shared.store.accesses(org, token["id"]) == []


def test_access_must_be_a_non_empty_list_of_strings(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])
    bodies: list[dict[str, Any]] = [
        {},
        {"access": []},
        {"access": "read_branch", "database": "db"},
        {"access": [1], "database": "db"},
        {"access": ["read_branch"], "database": ""},  # "" is the organization
        {"access": ["read_branch"], "database": 5},
        {"access": ["read_databases"], "database": ["app-prod"]},
    ]
    for body in bodies:
        response = shared.api.post(path, json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_params"
    assert shared.api.post(path, json=["read_branch"]).status_code == 422


def test_an_undeclared_database_is_404(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(EmulatorSettings(databases=("app-prod",)))
    token = emu.create("acme")
    path = _access_path(emu, "acme", token["id"])

    unknown = emu.api.post(path, json={"database": "nope", "access": ["read_branch"]})
    known = emu.api.post(path, json={"database": "app-prod", "access": ["read_branch"]})

    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    assert known.status_code == 200
    assert emu.api.post(path, json={"access": ["read_databases"]}).status_code == 200


def test_accesses_is_an_alias_of_access(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    alias = _access_path(shared, org, token["id"], "accesses")

    granted = shared.api.post(alias, json={"database": "app-prod", "access": ["read_branch"]})
    listed = shared.api.get(alias)

    assert granted.status_code == listed.status_code == 200
    assert listed.json()["data"] == granted.json()["data"]
    assert listed.json() == shared.api.get(_access_path(shared, org, token["id"])).json()


def test_access_lists_page_like_token_lists(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])
    for database in ("a", "b", "c"):
        shared.store.grant(org, token["id"], [*THREE, "connect_branch"], database)

    first = shared.api.get(path, params={"per_page": 5}).json()
    granted = shared.api.post(path, json={"database": "d", "access": ["read_branch"]}).json()

    assert (len(first["data"]), first["total_count"], first["next_page"]) == (5, 12, 2)
    # Grant and revoke answer with every access on one page.
    assert (len(granted["data"]), granted["next_page"]) == (13, None)


def test_grants_group_accesses_by_resource(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    shared.store.grant(org, token["id"], ["read_branch", "create_branch"], "app-prod")
    shared.store.grant(org, token["id"], ["read_databases"])

    groups = shared.api.get(f"{shared.tokens_path(org)}/{token['id']}/grants").json()["data"]

    assert [(g["resource_type"], g["resource_name"]) for g in groups] == [
        ("Database", "app-prod"),
        ("Organization", org),
    ]
    assert [a["access"] for a in groups[0]["accesses"]] == ["read_branch", "create_branch"]
    assert groups[0]["resource_id"] == groups[0]["id"]
    assert all(a["description"] for g in groups for a in g["accesses"])


def test_database_ids_are_stable_across_tokens_and_stores(shared: Emulator, org: str) -> None:
    first, second = shared.create(org), shared.create(org)
    shared.store.grant(org, first["id"], ["read_branch"], "app-prod")
    shared.store.grant(org, second["id"], ["read_branch"], "app-prod")
    other = EmulatorStore()
    (token, _secret) = other.create_token("elsewhere")
    other.grant("elsewhere", token["id"], ["read_branch"], "app-prod")

    ids = {
        shared.store.accesses(org, first["id"])[0]["resource"]["id"],
        shared.store.accesses(org, second["id"])[0]["resource"]["id"],
        other.accesses("elsewhere", token["id"])[0]["resource"]["id"],
    }

    assert len(ids) == 1
    (only,) = ids
    assert len(only) == 12
