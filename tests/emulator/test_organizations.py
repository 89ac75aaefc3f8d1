"""`GET /v1/organizations`: any authenticated caller; a token sees its own organization.
And the admin switch that makes the emulator refuse chosen credentials."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from pstokens.emulator import EmulatorSettings

from .conftest import Emulator


def test_a_token_lists_its_own_organization_and_an_api_key_lists_all(
    emulator: Callable[..., Emulator],
) -> None:
    emu = emulator(EmulatorSettings())
    acme = emu.api.post("/organizations/acme/service-tokens", json={"name": "ci"}).json()
    emu.api.post("/organizations/beta/service-tokens", json={"name": "ci"})
    with httpx.Client(base_url=emu.base_url,
                      headers={"Authorization": f"{acme['id']}:{acme['token']}"}) as own:
        answer = own.get("/organizations")
    assert answer.status_code == 200
    assert [(o["name"], o["type"]) for o in answer.json()["data"]] == [("acme", "Organization")]
    every = emu.api.get("/organizations").json()["data"]
    assert [o["name"] for o in every] == ["acme", "beta"]


def test_an_expired_deleted_or_refused_token_gets_401(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(EmulatorSettings())
    path = "/organizations/acme/service-tokens"
    made = [emu.api.post(path, json={"name": n}).json() for n in ("a", "b", "c", "d")]

    def status(token: dict[str, str]) -> int:
        header = {"Authorization": f"{token['id']}:{token['token']}"}
        with httpx.Client(base_url=emu.base_url, headers=header) as client:
            return client.get("/organizations").status_code

    emu.store.set_times("acme", made[0]["id"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    emu.api.delete(f"{path}/{made[1]['id']}")
    assert emu.admin.post("/_emulator/refuse", json={"token_id": made[2]["id"]}).status_code == 200
    assert [status(t) for t in made] == [401, 401, 401, 200]
    emu.admin.post("/_emulator/refuse", json={"token_id": made[2]["id"], "refused": False})
    assert status(made[2]) == 200


def test_refusing_a_name_refuses_tokens_made_with_it_from_then_on(
    emulator: Callable[..., Emulator],
) -> None:
    emu = emulator(EmulatorSettings())
    path = "/organizations/acme/service-tokens"
    before = emu.api.post(path, json={"name": "ci"}).json()
    emu.admin.post("/_emulator/refuse", json={"name": "ci"})
    after = emu.api.post(path, json={"name": "ci"}).json()
    assert emu.admin.post("/_emulator/refuse", json={"name": 3}).status_code == 422

    def status(token: dict[str, str]) -> int:
        header = {"Authorization": f"{token['id']}:{token['token']}"}
        with httpx.Client(base_url=emu.base_url, headers=header) as client:
            return client.get("/organizations").status_code

    assert (status(before), status(after)) == (200, 401)
