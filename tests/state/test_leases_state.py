"""State records leases (ID, key, expiry; never a secret), and reads files without any."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pstokens.errors import StateError
from pstokens.state import FileStateStore, State
from pstokens.state.model import LeaseRecord

WHEN = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_leases_round_trip_through_a_state_file(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "s.json")
    state = State.new("acme").with_lease(
        "ci+lease-abcdefgh", LeaseRecord("ci", WHEN, id="t1")
    ).with_lease("ci+lease-12345678", LeaseRecord("ci", WHEN, pending_since=WHEN))
    store.save(state)
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["leases"]["ci+lease-abcdefgh"] == {
        "key": "ci", "id": "t1", "expires_at": "2026-12-01T18:00:00+00:00", "pending_since": None}
    assert store.load("acme").leases == state.leases


def test_a_state_without_leases_reads_and_writes_as_before(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"version": 1, "lineage": "L", "serial": 3,
                                "organization": "acme", "tokens": {}}))
    store = FileStateStore(path)
    state = store.load("acme")
    assert state.leases == {}
    store.save(state)
    assert "leases" not in json.loads(path.read_text())


@pytest.mark.parametrize("lease", [{"key": "ci", "id": "t1"}, {"key": "ci", "expires_at": None},
                                   {"id": "t1", "expires_at": "2026-12-01T18:00:00Z"}, []])
def test_a_lease_without_its_expiry_or_key_is_a_damaged_state(
    tmp_path: Path, lease: object
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"version": 1, "lineage": "L", "serial": 3, "organization": "acme",
                                "tokens": {}, "leases": {"ci+lease-abcdefgh": lease}}))
    with pytest.raises(StateError, match="damaged"):
        FileStateStore(path).load("acme")
