"""Service tokens over real HTTP: create, list, get, delete, errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from pstokens.emulator import EmulatorSettings

from .conftest import Emulator

ID = re.compile(r"^[a-z0-9]{12}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOT_FOUND = {"code": "not_found", "message": "Not Found"}
TOKEN_FIELDS = {
    "id",
    "type",
    "name",
    "display_name",
    "token",
    "created_at",
    "updated_at",
    "last_used_at",
    "expires_at",
    "actor_id",
    "actor_display_name",
    "actor_type",
    "service_token_accesses",
    "avatar_url",
    "plain_text_refresh_token",
}
# Get alone adds the accesses grouped by resource, as the 2026-08 description has it.
GET_FIELDS = TOKEN_FIELDS | {"oauth_accesses_by_resource"}


def test_create_answers_200_with_the_secret_once(shared: Emulator, org: str) -> None:
    response = shared.api.post(shared.tokens_path(org), json={"name": "ci-deploy"})

    assert response.status_code == 200
    token = response.json()
    assert set(token) == TOKEN_FIELDS
    assert ID.match(token["id"])
    assert token["type"] == "ServiceToken"
    assert token["name"] == token["display_name"] == "ci-deploy"
    assert token["token"].startswith("pscale_tkn_")
    assert len(token["token"]) >= len("pscale_tkn_") + 40
    assert token["expires_at"] is None
    assert token["service_token_accesses"] == []
    assert token["plain_text_refresh_token"] is None
    assert token["avatar_url"].startswith("https://")


def test_list_and_get_never_show_the_secret(shared: Emulator, org: str) -> None:
    created = shared.create(org, name="ci")
    secret = created["token"]

    listed = shared.api.get(shared.tokens_path(org))
    got = shared.api.get(f"{shared.tokens_path(org)}/{created['id']}")

    assert [t["token"] for t in listed.json()["data"]] == [None]
    assert got.json()["token"] is None
    assert secret not in listed.text + got.text
    assert set(got.json()) == GET_FIELDS
    assert [set(t) for t in listed.json()["data"]] == [TOKEN_FIELDS]
    assert shared.store.secret_matches(org, created["id"], secret)


def test_create_without_a_body_makes_an_unnamed_token(shared: Emulator, org: str) -> None:
    response = shared.api.post(shared.tokens_path(org))

    assert response.status_code == 200
    token = response.json()
    assert token["name"] is None
    assert token["display_name"] == token["id"]


def test_ttl_sets_expiry_and_times_have_milliseconds_and_z(shared: Emulator, org: str) -> None:
    token = shared.create(org, name="short", ttl=3600)

    for field in ("created_at", "updated_at", "expires_at"):
        assert TIME.match(token[field]), token[field]
    created = datetime.fromisoformat(token["created_at"])
    assert datetime.fromisoformat(token["expires_at"]) - created == timedelta(hours=1)


def test_bad_ttl_or_name_is_invalid_params(shared: Emulator, org: str) -> None:
    for body in ({"ttl": -5}, {"ttl": "1h"}, {"ttl": True}, {"name": 7}):
        response = shared.api.post(shared.tokens_path(org), json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_params"
    assert shared.store.tokens(org) == []


def test_malformed_json_is_bad_request(shared: Emulator, org: str) -> None:
    response = shared.api.post(
        shared.tokens_path(org), content=b"{nope", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_list_pages_at_25_by_default_in_creation_order(shared: Emulator, org: str) -> None:
    ids = [shared.store.create_token(org, f"t{i}")[0]["id"] for i in range(130)]

    seen: list[str] = []
    pages = []
    url: str | None = shared.tokens_path(org)
    while url:
        page = shared.api.get(url).json()
        pages.append(page)
        seen += [t["id"] for t in page["data"]]
        url = page["next_page_url"]

    assert seen == ids
    assert [len(p["data"]) for p in pages] == [25, 25, 25, 25, 25, 5]
    first, last = pages[0], pages[-1]
    assert first["type"] == "list"
    assert (first["current_page"], first["per_page"], first["next_page"]) == (1, 25, 2)
    assert (first["prev_page"], first["prev_page_url"]) == (None, None)
    assert (first["total_count"], first["total_pages"]) == (130, 6)
    assert (last["current_page"], last["next_page"], last["next_page_url"]) == (6, None, None)
    assert last["prev_page"] == 5
    assert "service_token_accesses" in first["data"][0]


def test_per_page_is_clamped_to_100(shared: Emulator, org: str) -> None:
    for i in range(130):
        shared.store.create_token(org, f"t{i}")

    page = shared.api.get(shared.tokens_path(org), params={"per_page": 500}).json()
    second = shared.api.get(shared.tokens_path(org), params={"per_page": 100, "page": 2}).json()
    beyond = shared.api.get(shared.tokens_path(org), params={"page": 9}).json()

    assert (len(page["data"]), page["per_page"], page["next_page"]) == (100, 100, 2)
    assert (len(second["data"]), second["next_page"]) == (30, None)
    assert (beyond["data"], beyond["next_page"]) == ([], None)


def test_bad_paging_values_are_invalid_params(shared: Emulator, org: str) -> None:
    for params in ({"page": 0}, {"per_page": "many"}, {"per_page": -1}):
        response = shared.api.get(shared.tokens_path(org), params=params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "invalid_params"


def test_an_empty_organization_lists_nothing(shared: Emulator, org: str) -> None:
    page = shared.api.get(shared.tokens_path(org)).json()

    assert (page["data"], page["total_count"], page["next_page"]) == ([], 0, None)


def test_unknown_token_is_404_not_found(shared: Emulator, org: str) -> None:
    path = f"{shared.tokens_path(org)}/zzzzzzzzzzzz"
    for method in ("GET", "DELETE"):
        response = shared.api.request(method, path)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    response = shared.api.post(f"{path}/access", json={"access": ["read_organization"]})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_delete_answers_204_with_an_empty_body(shared: Emulator, org: str) -> None:
    token = shared.create(org, name="doomed")
    path = f"{shared.tokens_path(org)}/{token['id']}"

    response = shared.api.delete(path)

    assert response.status_code == 204
    assert response.content == b""
    assert shared.api.get(path).status_code == 404
    assert shared.store.tokens(org) == []


def test_unknown_routes_and_methods_are_404_json(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    for method, path in (
        ("GET", "/nothing/here"),
        ("PATCH", f"{shared.tokens_path(org)}/{token['id']}"),
        ("PUT", shared.tokens_path(org)),
    ):
        response = shared.api.request(method, path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, path)
    assert shared.admin.get("/").json() == NOT_FOUND


def test_undeclared_organization_is_404_everywhere(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(EmulatorSettings(organizations=("acme", "globex")))
    token = emu.create("acme", name="ci")
    stranger = "/organizations/initech/service-tokens"

    assert emu.api.get("/organizations/globex/service-tokens").status_code == 200
    for method, path in (
        ("GET", stranger),
        ("POST", stranger),
        ("GET", f"{stranger}/{token['id']}"),
        ("DELETE", f"{stranger}/{token['id']}"),
        ("GET", f"{stranger}/{token['id']}/access"),
        ("GET", f"{stranger}/{token['id']}/grants"),
    ):
        response = emu.api.request(method, path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, path)
    assert emu.store.tokens("initech") == []


def test_a_trailing_slash_is_not_found_not_redirected() -> None:
    import httpx

    from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator

    with running_emulator(EmulatorSettings(), EmulatorStore()) as url:
        answer = httpx.get(f"{url}/organizations/acme/service-tokens/",
                           headers={"Authorization": "Bearer x"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
