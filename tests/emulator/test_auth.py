"""The Authorization header: well formed always, exactly the configured one when set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pstokens.emulator import EmulatorSettings

from .conftest import Emulator

UNAUTHORIZED = {"code": "unauthorized", "message": "Unauthorized"}
PATH = "/organizations/acme/service-tokens"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "no-colon", ":secret", "id:", "Basic abc", "bearer x"],
)
def test_missing_or_malformed_credentials_are_401(shared: Emulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    with httpx.Client(base_url=shared.base_url, headers=headers) as client:
        response = client.get(PATH)

    assert response.status_code == 401
    # A fixed body: whatever the caller sent is never echoed back.
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("header", ["Bearer some-api-key", "tokenid:tokensecret"])
def test_both_credential_forms_are_accepted(shared: Emulator, header: str) -> None:
    with httpx.Client(base_url=shared.base_url, headers={"Authorization": header}) as client:
        assert client.get(PATH).status_code == 200


def test_unknown_v1_paths_need_credentials_too(shared: Emulator) -> None:
    with httpx.Client(base_url=shared.base_url) as client:
        assert client.get("/nowhere").status_code == 401


def test_require_auth_accepts_only_the_configured_value(
    emulator: Callable[..., Emulator],
) -> None:
    emu = emulator(EmulatorSettings(require_auth="good-id:good-secret"))

    def status(header: str) -> int:
        return emu.api.get(PATH, headers={"Authorization": header}).status_code

    assert status("good-id:good-secret") == 200
    assert status("good-id:bad-secret") == 401
    assert status("Bearer good-id:good-secret") == 401
    assert status("Bearer anything") == 401
    response = emu.api.get(PATH, headers={"Authorization": "good-id:wrong-one"})
    assert response.json() == UNAUTHORIZED


def test_require_auth_with_a_bearer_value(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(EmulatorSettings(require_auth="Bearer the-key"))

    assert emu.api.get(PATH, headers={"Authorization": "Bearer the-key"}).status_code == 200
    assert emu.api.get(PATH, headers={"Authorization": "Bearer other"}).status_code == 401
    assert emu.api.get(PATH, headers={"Authorization": "x:the-key"}).status_code == 401


def test_admin_paths_need_no_credentials(shared: Emulator) -> None:
    assert shared.admin.get("/_emulator/stats").status_code == 200


def test_a_token_the_emulator_made_works_until_deleted_or_expired(
    emulator: Callable[..., Emulator],
) -> None:
    """Its own tokens are checked as the API checks them: the right secret of a
    live token gets in and is noted as used; a wrong secret, an expired token
    or a deleted one does not, whatever else the emulator accepts."""
    emu = emulator(EmulatorSettings(require_auth="Bearer admin-key"))
    admin = {"Authorization": "Bearer admin-key"}
    created = emu.api.post(PATH, json={"name": "ci"}, headers=admin).json()
    other = emu.api.post(PATH, json={"name": "other"}, headers=admin).json()
    token_id, secret = created["id"], created["token"]

    def status(header: str) -> int:
        # A call any token may make: what it holds is the access layer's business.
        return emu.api.get("/organizations", headers={"Authorization": header}).status_code

    listed = {t["id"]: t for t in emu.api.get(PATH, headers=admin).json()["data"]}
    assert listed[token_id]["last_used_at"] is None
    assert status(f"{token_id}:{secret}") == 200
    listed = {t["id"]: t for t in emu.api.get(PATH, headers=admin).json()["data"]}
    assert listed[token_id]["last_used_at"] is not None
    assert listed[other["id"]]["last_used_at"] is None

    assert status(f"{token_id}:{other['token']}") == 401
    assert status(f"{other['id']}:{other['token']}") == 200
    emu.store.set_times("acme", other["id"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert status(f"{other['id']}:{other['token']}") == 401

    assert emu.api.delete(f"{PATH}/{token_id}", headers=admin).status_code == 204
    assert status(f"{token_id}:{secret}") == 401


def test_without_require_auth_a_known_token_id_still_needs_its_secret_and_life(
    shared: Emulator,
) -> None:
    created = shared.create("acme", name="strict")
    with httpx.Client(base_url=shared.base_url) as client:
        def status(header: str) -> int:
            return client.get("/organizations", headers={"Authorization": header}).status_code

        assert status(f"{created['id']}:{created['token']}") == 200
        assert status(f"{created['id']}:not-its-secret") == 401
        assert status("someone-else:anything") == 200  # not the emulator's: any is taken
        shared.store.delete_token("acme", created["id"])
        assert status(f"{created['id']}:{created['token']}") == 401
