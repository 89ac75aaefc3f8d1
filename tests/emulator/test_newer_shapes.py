"""What the newer sources say the API does: organization grants with an empty
`database` (PlanetScale's Go client sends one), and the fields of the 2026-08
OpenAPI description, whose schemas every answer of the emulator must fit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from pstokens.emulator import EmulatorSettings, EmulatorStore
from pstokens.emulator.store import REFRESH_PREFIX

from .conftest import Emulator, start_emulator

DESCRIPTIONS = Path(__file__).resolve().parent / "descriptions"
NEWER = DESCRIPTIONS / "planetscale-openapi-2026-08-service-tokens.json"
NO_DATABASE: list[dict[str, Any]] = [{}, {"database": None}, {"database": ""}]


def _access_path(emu: Emulator, org: str, token_id: str) -> str:
    return f"{emu.tokens_path(org)}/{token_id}/access"


@pytest.mark.parametrize("no_database", NO_DATABASE, ids=["missing", "null", "empty"])
def test_a_missing_null_or_empty_database_grants_and_revokes_on_the_organization(
    shared: Emulator, org: str, no_database: dict[str, Any]
) -> None:
    token = shared.create(org)
    path = _access_path(shared, org, token["id"])

    granted = shared.api.post(path, json={**no_database, "access": ["read_databases"]})
    held = shared.api.get(path).json()["data"]
    revoked = shared.api.request(
        "DELETE", path, json={**no_database, "access": ["read_databases"]}
    )

    assert granted.status_code == 200, granted.text
    assert [(i["access"], i["resource"]["type"]) for i in held] == [
        ("read_databases", "Organization")
    ]
    assert revoked.status_code == 200, revoked.text
    assert shared.store.accesses(org, token["id"]) == []


def test_an_empty_database_is_still_refused_for_a_database_access(
    shared: Emulator, org: str
) -> None:
    token = shared.create(org)
    response = shared.api.post(
        _access_path(shared, org, token["id"]), json={"database": "", "access": ["read_branch"]}
    )
    assert response.status_code == 422
    assert '"read_branch" is a database access' in response.json()["message"]


def test_get_groups_the_accesses_by_resource(shared: Emulator, org: str) -> None:
    token = shared.create(org, name="ci")
    shared.store.grant(org, token["id"], ["read_branch", "create_branch"], "app-prod")
    shared.store.grant(org, token["id"], ["read_branch"], "app-staging")
    shared.store.grant(org, token["id"], ["read_databases"])

    grouped = shared.api.get(f"{shared.tokens_path(org)}/{token['id']}").json()[
        "oauth_accesses_by_resource"
    ]

    assert [d["name"] for d in grouped["database"]["databases"]] == ["app-prod", "app-staging"]
    assert {d["organization"] for d in grouped["database"]["databases"]} == {org}
    assert [a["name"] for a in grouped["database"]["accesses"]] == ["read_branch", "create_branch"]
    assert [o["name"] for o in grouped["organization"]["organizations"]] == [org]
    assert [a["name"] for a in grouped["organization"]["accesses"]] == ["read_databases"]
    assert grouped["branch"] == {"branches": [], "accesses": []}
    assert grouped["user"] == {"users": [], "accesses": []}


def test_a_refresh_token_comes_once_in_the_create_answer_and_is_never_kept(
    tmp_path: Path,
) -> None:
    data = tmp_path / "emulator.json"
    store = EmulatorStore(data, refresh_tokens=True)
    with start_emulator(EmulatorSettings(data_path=data), store) as emu:
        created = emu.create("acme", name="ci")
        listed = emu.api.get(emu.tokens_path("acme")).text
        got = emu.api.get(f"{emu.tokens_path('acme')}/{created['id']}").text

    refresh = created["plain_text_refresh_token"]
    assert refresh.startswith(REFRESH_PREFIX) and refresh != created["token"]
    assert json.loads(got)["plain_text_refresh_token"] is None
    for text in (listed, got, data.read_text()):
        assert refresh not in text
        assert refresh.removeprefix(REFRESH_PREFIX) not in text


# -- the 2026-08 description --------------------------------------------------


def _response_schema(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    answer = document["paths"][path][method]["responses"][status]
    return answer["content"]["application/json"]["schema"]


def test_every_answer_fits_the_2026_08_description(
    emulator: Callable[..., Emulator],
) -> None:
    """List (several pages, tokens with and without accesses), create (with a
    ttl, with a refresh token), get and delete, validated as OpenAPI 3.0 (its
    `nullable`) against the description PlanetScale published in August 2026."""
    document = json.loads(NEWER.read_text())
    listing = "/organizations/{organization}/service-tokens"
    one = listing + "/{id}"
    emu = emulator(store=EmulatorStore(refresh_tokens=True))
    checked: list[str] = []

    def fits(path: str, method: str, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        OAS30Validator(_response_schema(document, path, method, "200")).validate(response.json())
        checked.append(f"{method} {path}")

    fits(listing, "post", emu.api.post(emu.tokens_path("acme"), json={"name": "a", "ttl": 60}))
    for n in range(6):
        token = emu.create("acme", **({"name": f"t{n}"} if n % 2 else {}))
        emu.store.grant("acme", token["id"], ["read_branch"], "app-prod")
        if n % 3 == 0:
            emu.store.grant("acme", token["id"], ["read_databases", "read_organization"])
        fits(one, "get", emu.api.get(f"{emu.tokens_path('acme')}/{token['id']}"))
    for page in (1, 2, 3):
        params = {"page": page, "per_page": 3}
        fits(listing, "get", emu.api.get(emu.tokens_path("acme"), params=params))
    fits(listing, "get", emu.api.get(emu.tokens_path("acme")))
    deleted = emu.api.delete(f"{emu.tokens_path('acme')}/{token['id']}")

    assert deleted.status_code == 204 and deleted.content == b""
    assert "204" in document["paths"][one]["delete"]["responses"]
    assert len(checked) == 11
