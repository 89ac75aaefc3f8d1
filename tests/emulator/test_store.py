"""The data behind the API: persistence, out-of-band changes, the demo, the stats."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pstokens.emulator import (
    DEMO_DATABASES,
    EmulatorSettings,
    EmulatorStore,
    InvalidParams,
    NotFound,
    seed_demo,
)

from .conftest import Emulator

PATH = "/organizations/acme/service-tokens"


def test_data_survives_a_restart_without_any_plaintext_secret(
    emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    data = tmp_path / "state" / "emulator.json"
    settings = EmulatorSettings(data_path=data)
    first = emulator(settings)
    token = first.create("acme", name="ci", ttl=600)
    first.api.post(
        f"{PATH}/{token['id']}/access", json={"database": "app-prod", "access": ["read_branch"]}
    )
    first.api.post(f"{PATH}/{token['id']}/access", json={"access": ["read_databases"]})
    before = first.api.get(PATH).json()

    second = emulator(settings)
    after = second.api.get(PATH).json()

    assert after["data"] == before["data"]
    assert second.store.secret_matches("acme", token["id"], token["token"])
    raw = data.read_text()
    assert token["token"] not in raw
    assert "pscale_tkn_" not in raw
    assert json.loads(raw)["version"] == 1
    assert stat.S_IMODE(data.stat().st_mode) == 0o600
    # No temp file left; the lock file that shares the data between processes stays.
    assert sorted(p.name for p in data.parent.iterdir()) == ["emulator.json", "emulator.json.lock"]


def test_a_store_saves_after_each_write(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    store = EmulatorStore(data)
    assert not data.exists()  # nothing written until something changes

    token, _secret = store.create_token("acme", "one")
    store.grant("acme", token["id"], ["read_branch"], "db")

    assert EmulatorStore(data).tokens("acme") == store.tokens("acme")
    store.delete_token("acme", token["id"])
    assert EmulatorStore(data).tokens("acme") == []


def test_a_file_that_is_not_an_emulator_store_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    for content in ("not json", "[]", '{"format": "pstokens-emulator", "version": 99}'):
        data.write_text(content)
        with pytest.raises(ValueError, match=r"emulator\.json"):
            EmulatorStore(data)


def test_set_times_back_dates_and_expires_a_token() -> None:
    store = EmulatorStore()
    token, _secret = store.create_token("acme", "old")
    old = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

    store.set_times("acme", token["id"], created_at=old, expires_at=old + timedelta(days=1))

    (listed,) = store.tokens("acme")
    assert listed["created_at"] == "2024-01-02T03:04:05.678Z"
    assert listed["expires_at"] == "2024-01-03T03:04:05.678Z"


def test_the_admin_path_sets_times_out_of_band(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = f"/_emulator/organizations/{org}/service-tokens/{token['id']}"

    response = shared.admin.patch(
        path, json={"expires_at": "2020-05-01T00:00:00Z", "created_at": "2019-05-01T00:00:00Z"}
    )
    bad = shared.admin.patch(path, json={"expires_at": "yesterday"})
    missing = shared.admin.patch(path.replace(token["id"], "zzzzzzzzzzzz"), json={})

    assert response.status_code == 200
    assert response.json()["expires_at"] == "2020-05-01T00:00:00.000Z"
    assert shared.store.token(org, token["id"])["created_at"] == "2019-05-01T00:00:00.000Z"
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_params")
    assert missing.status_code == 404


def test_the_python_api_raises_not_found_and_invalid_params() -> None:
    store = EmulatorStore()
    token, _secret = store.create_token("acme")

    with pytest.raises(NotFound):
        store.delete_token("acme", "zzzzzzzzzzzz")
    with pytest.raises(KeyError):
        store.token("other-org", token["id"])
    with pytest.raises(InvalidParams, match="read_databases"):
        store.grant("acme", token["id"], ["read_databases"], "app-prod")


def test_ids_are_reproducible_under_a_seed() -> None:
    def ids(seed: int) -> list[str]:
        store = EmulatorStore(seed=seed)
        return [store.create_token("acme")[0]["id"] for _ in range(3)]

    assert ids(5) == ids(5)
    assert ids(5) != ids(6)


def test_seed_demo_makes_hand_made_tokens_once() -> None:
    store = EmulatorStore()

    seed_demo(store, "acme")
    first = store.tokens("acme")
    seed_demo(store, "acme")

    assert store.tokens("acme") == first
    names = [t["name"] for t in first]
    assert {"legacy-admin", "laptop-debug"} <= set(names)
    databases = {
        a["resource_name"]
        for t in first
        for a in t["service_token_accesses"]
        if a["resource_type"] == "Database"
    }
    assert databases <= set(DEMO_DATABASES)
    (admin,) = [t for t in first if t["name"] == "legacy-admin"]
    assert {a["resource_type"] for a in admin["service_token_accesses"]} == {"Organization"}


def test_stats_count_requests_by_route_and_status(emulator: Callable[..., Emulator]) -> None:
    emu = emulator()
    token = emu.create("acme")
    emu.api.get(f"{PATH}/{token['id']}")
    emu.api.get(f"{PATH}/zzzzzzzzzzzz")
    emu.api.get(PATH, headers={"Authorization": ""})

    stats = emu.stats()

    assert stats["total"] == 4
    assert stats["by_status"] == {"200": 2, "404": 1, "401": 1}
    assert stats["by_route"]["GET /v1/organizations/{organization}/service-tokens/{token_id}"] == {
        "200": 1,
        "404": 1,
    }
    assert stats["by_route"]["POST /v1/organizations/{organization}/service-tokens"] == {"200": 1}
    reset = emu.admin.post("/_emulator/stats/reset").json()
    assert reset["total"] == 0
    assert emu.stats()["total"] == 0


@pytest.mark.parametrize(
    "bad",
    [{"fail_rate": 1.5}, {"lose_rate": -0.1}, {"latency_ms": -1}, {"rate_limit": -1}],
)
def test_settings_refuse_impossible_values(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        EmulatorSettings(**bad)  # type: ignore[arg-type]


def test_settings_accept_lists_from_the_command_line() -> None:
    settings = EmulatorSettings(organizations=["acme"], databases=["db"])  # type: ignore[arg-type]

    assert settings.organizations == ("acme",)
    assert settings.databases == ("db",)


def test_a_listed_token_shows_every_later_change(shared: Emulator, org: str) -> None:
    """List pages are joined from each token's JSON, kept between reads: every
    kind of change, over HTTP or behind the API's back, must show on the next list."""
    path = shared.tokens_path(org)
    token = shared.create(org, name="ci")
    other = shared.create(org, name="other")

    def listed() -> dict[str, Any]:
        items: list[dict[str, Any]] = shared.api.get(path).json()["data"]
        return {item["id"]: item for item in items}

    def held(item: dict[str, Any]) -> set[tuple[str, str]]:
        return {(a["resource_name"], a["access"]) for a in item["service_token_accesses"]}

    assert held(listed()[token["id"]]) == set()
    shared.api.post(
        f"{path}/{token['id']}/access", json={"database": "app-prod", "access": ["read_branch"]}
    )
    assert held(listed()[token["id"]]) == {("app-prod", "read_branch")}

    shared.store.grant(org, token["id"], ["read_databases"])
    assert held(listed()[token["id"]]) == {("app-prod", "read_branch"), (org, "read_databases")}

    shared.api.request(
        "DELETE", f"{path}/{token['id']}/access",
        json={"database": "app-prod", "access": ["read_branch"]},
    )
    assert held(listed()[token["id"]]) == {(org, "read_databases")}

    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    shared.store.set_times(org, token["id"], expires_at=expires)
    assert listed()[token["id"]]["expires_at"] == "2030-01-02T03:04:05.000Z"

    shared.api.delete(f"{path}/{token['id']}")
    assert list(listed()) == [other["id"]]
    assert held(listed()[other["id"]]) == set()
