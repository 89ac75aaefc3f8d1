"""The emulator's audit log: its writes audited, cursor paging, read_audit_logs, events added."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pstokens.emulator import EmulatorSettings, EmulatorStore
from pstokens.emulator.persist import load

from .conftest import Emulator

LEAKED = "service_token.token_leaked"


def log_path(org: str) -> str:
    return f"/organizations/{org}/audit-log"


def events(emulator: Emulator, org: str, **params: Any) -> dict[str, Any]:
    response = emulator.api.get(log_path(org), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def add(emulator: Emulator, org: str, **body: Any) -> httpx.Response:
    return emulator.admin.post(f"/_emulator/organizations/{org}/audit-log", json=body)


def test_each_token_write_is_audited_newest_first(shared: Emulator, org: str) -> None:
    token = shared.create(org, name="ci")
    path = f"{shared.tokens_path(org)}/{token['id']}/access"
    assert shared.api.post(path, json={"database": "app", "access": ["read_branch"]}).is_success
    assert shared.api.request("DELETE", path, json={"database": "app",
                                                    "access": ["read_branch"]}).is_success
    assert shared.api.delete(f"{shared.tokens_path(org)}/{token['id']}").status_code == 204

    body = events(shared, org)

    assert [e["audit_action"] for e in body["data"]] == [
        "service_token.deleted", "service_token.updated_bulk_database_access",
        "service_token.updated_bulk_database_access", "service_token.created"]
    assert {(e["target_id"], e["target_type"], e["target_display_name"])
            for e in body["data"]} == {(token["id"], "ServiceToken", "ci")}
    assert body["data"][2]["metadata"] == {"database": "app", "granted": ["read_branch"]}
    assert body["data"][1]["metadata"] == {"database": "app", "revoked": ["read_branch"]}
    first = body["data"][0]
    # Every field the API sends is there; those it may send as null are null.
    assert set(first) >= {"id", "audit_action", "action", "actor_id", "actor_type",
                          "actor_display_name", "auditable_id", "auditable_type",
                          "auditable_display_name", "target_id", "target_type",
                          "target_display_name", "location", "remote_ip", "metadata",
                          "created_at", "updated_at"}
    assert first["action"] == "deleted" and first["auditable_display_name"] == org
    assert (body["has_next"], body["has_prev"]) == (False, False)
    assert (body["cursor_start"], body["cursor_end"]) == (first["id"], body["data"][-1]["id"])
    # Only writes are audited: the reads above left nothing.
    assert len(events(shared, org)["data"]) == 4


def test_the_log_pages_by_cursor_both_ways(shared: Emulator, org: str) -> None:
    for i in range(30):
        assert add(shared, org, audit_action="service_token.created",
                   target_id=f"t{i}").status_code == 201

    first = events(shared, org)  # 25 by default
    rest = events(shared, org, starting_after=first["cursor_end"], limit=100)
    back = events(shared, org, ending_before=rest["cursor_start"], limit=10)

    assert len(first["data"]) == 25 and first["has_next"] and not first["has_prev"]
    assert [e["target_id"] for e in first["data"]][:2] == ["t29", "t28"]
    assert [e["target_id"] for e in rest["data"]] == ["t4", "t3", "t2", "t1", "t0"]
    assert not rest["has_next"] and rest["has_prev"]
    assert [e["target_id"] for e in back["data"]] == [f"t{i}" for i in range(14, 4, -1)]
    assert back["has_next"] and back["has_prev"]
    assert len(events(shared, org, limit=1000)["data"]) == 30  # clamped to 100
    assert events(shared, org, starting_after="nosuchevent")["data"] == []


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_a_bad_limit_is_422(shared: Emulator, org: str, limit: str) -> None:
    response = shared.api.get(log_path(org), params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_params"


def test_the_go_clients_filter_is_honoured(shared: Emulator, org: str) -> None:
    token = shared.create(org, name="ci")
    assert add(shared, org, audit_action=LEAKED, target_id=token["id"]).status_code == 201

    body = events(shared, org, **{"filters[]": f"audit_action:{LEAKED}"})

    assert [(e["audit_action"], e["target_id"], e["target_display_name"])
            for e in body["data"]] == [(LEAKED, token["id"], "ci")]


def test_a_token_needs_read_audit_logs_to_read_the_log(shared: Emulator, org: str) -> None:
    made = shared.create(org, name="reader")
    own = {"Authorization": f"{made['id']}:{made['token']}"}
    with httpx.Client(base_url=shared.base_url, headers=own) as as_token:
        refused = as_token.get(log_path(org))
        grant = f"{shared.tokens_path(org)}/{made['id']}/access"
        assert shared.api.post(grant, json={"access": ["read_audit_logs"]}).is_success
        allowed = as_token.get(log_path(org))
        elsewhere = as_token.get(log_path(org + "-other"))

    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert allowed.status_code == 200
    assert elsewhere.status_code == 403  # its access is on its own organization only
    # A write made by one of the emulator's tokens names it as the actor.
    with httpx.Client(base_url=shared.base_url, headers=own) as as_token:
        assert as_token.post(shared.tokens_path(org), json={"name": "child"}).is_success
    newest = events(shared, org)["data"][0]
    assert (newest["actor_id"], newest["actor_type"]) == (made["id"], "ServiceToken")


def test_an_undeclared_organization_is_404(emulator: Callable[..., Emulator]) -> None:
    served = emulator(EmulatorSettings(organizations=("acme",)))
    assert served.api.get(log_path("other")).status_code == 404
    assert served.api.get(log_path("acme")).status_code == 200


@pytest.mark.parametrize("body", [
    {}, {"audit_action": 3}, {"audit_action": LEAKED, "target_id": 5},
    {"audit_action": LEAKED, "created_at": "yesterday"},
    {"audit_action": LEAKED, "metadata": []},
])
def test_a_bad_event_is_refused_with_422(shared: Emulator, org: str, body: Any) -> None:
    response = add(shared, org, **body)
    assert response.status_code == 422, response.text


def test_events_older_than_15_days_are_not_kept(shared: Emulator, org: str) -> None:
    old = (datetime.now(UTC) - timedelta(days=16)).isoformat()
    recent = (datetime.now(UTC) - timedelta(days=14)).isoformat()
    assert add(shared, org, audit_action=LEAKED, target_id="t1", created_at=old).is_success
    assert add(shared, org, audit_action=LEAKED, target_id="t2", created_at=recent).is_success

    assert [e["target_id"] for e in events(shared, org)["data"]] == ["t2"]


def test_the_log_is_kept_in_the_data_file_and_an_older_file_still_loads(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    store = EmulatorStore(data)
    token, _ = store.create_token("acme", "ci")
    store.add_audit_event("acme", LEAKED, target_id=token["id"])

    again = EmulatorStore(data)
    page = again.audit_page("acme", limit=100)
    assert [e["audit_action"] for e in page["data"]] == [LEAKED, "service_token.created"]
    assert page["data"][0]["target_display_name"] == "ci"

    image = json.loads(data.read_text())
    del image["audit"]  # as written before the emulator kept a log
    data.write_text(json.dumps(image))
    assert load(data).audit == {}
    assert [t["id"] for t in EmulatorStore(data).tokens("acme")] == [token["id"]]
