"""`last_used_at` can be set from outside, so tests and demos have stale tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pstokens.emulator import EmulatorStore, seed_demo
from pstokens.emulator.records import parse_time
from tests.emulator.conftest import Emulator


def test_the_admin_path_sets_last_used_at(shared: Emulator, org: str) -> None:
    token = shared.create(org)
    path = f"/_emulator/organizations/{org}/service-tokens/{token['id']}"

    response = shared.admin.patch(path, json={"last_used_at": "2026-01-02T03:04:05Z"})
    bad = shared.admin.patch(path, json={"last_used_at": "last week"})

    assert response.status_code == 200
    assert response.json()["last_used_at"] == "2026-01-02T03:04:05.000Z"
    listed = next(t for t in shared.store.tokens(org) if t["id"] == token["id"])
    assert listed["last_used_at"] == "2026-01-02T03:04:05.000Z"
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_params")


def test_last_used_at_is_kept_in_the_data_file(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    store = EmulatorStore(data)
    token, _secret = store.create_token("acme", "old")
    store.set_times("acme", token["id"], last_used_at=datetime(2025, 5, 1, tzinfo=UTC))

    (reloaded,) = EmulatorStore(data).tokens("acme")
    assert reloaded["last_used_at"] == "2025-05-01T00:00:00.000Z"


def test_the_demo_organization_has_stale_and_recently_used_tokens() -> None:
    store = EmulatorStore()
    seed_demo(store, "acme")
    now = datetime.now(UTC)
    used = {t["name"]: t["last_used_at"] for t in store.tokens("acme")}
    assert used["analytics-export"] is None  # never used, and 95 days old
    assert (now - parse_time(used["legacy-admin"])).days >= 90
    assert (now - parse_time(used["laptop-debug"])).days < 90
