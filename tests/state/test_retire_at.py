"""State remembers when a retiring token may go, and leaves other files as they were."""

from __future__ import annotations

from datetime import UTC, datetime

from pstokens.state.model import TokenRecord

WHEN = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_retire_at_round_trips() -> None:
    record = TokenRecord(id="new", name="ci", retiring=("old",), retire_at={"old": WHEN})
    data = record.to_json()
    assert data["retire_at"] == {"old": "2026-12-01T18:00:00+00:00"}
    assert TokenRecord.from_json(data) == record


def test_a_record_without_overlap_writes_no_retire_at() -> None:
    data = TokenRecord(id="new", name="ci", retiring=("old",)).to_json()
    assert "retire_at" not in data
    assert TokenRecord.from_json(data).retire_at == {}


def test_successor_delivered_at_round_trips() -> None:
    record = TokenRecord(id="new", name="ci", retiring=("old",),
                         successor_delivered_at={"old": WHEN})
    data = record.to_json()
    assert data["successor_delivered_at"] == {"old": "2026-12-01T18:00:00+00:00"}
    assert TokenRecord.from_json(data) == record
    assert "successor_delivered_at" not in TokenRecord(id="new", name="ci").to_json()


def test_a_state_file_from_before_retire_when_unused_still_loads() -> None:
    older = {"id": "new", "name": "ci", "retiring": ["old"],
             "retire_at": {"old": "2026-12-01T18:00:00+00:00"}}
    record = TokenRecord.from_json(older)
    assert (record.retiring, record.successor_delivered_at) == (("old",), {})
