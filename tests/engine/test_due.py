"""Due dates from plain data: expiries, rotations of the key's current token only, and
overlap ends of retiring tokens still live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pstokens.config import parse_config
from pstokens.engine.inventory.due import DueKind, due_dates
from pstokens.engine.inventory.report import build_report
from pstokens.engine.rules.live import LiveToken
from pstokens.state.model import State, TokenRecord

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
CONFIG = parse_config("organization: acme\ntokens:\n  ci:\n    ttl: 30d\n    rotate_after: 7d\n")


def _state(**records: TokenRecord) -> State:
    return State("acme", "lineage", 1, records)


def test_each_kind_of_date_is_found_once_and_sorted() -> None:
    live = [
        LiveToken("new", "ci", NOW - DAY, NOW + 29 * DAY),
        LiveToken("old", "ci", NOW - 9 * DAY, NOW + 21 * DAY),
        LiveToken("gone-from-state", "x", NOW, None),
    ]
    state = _state(ci=TokenRecord("new", "ci", retiring=("old", "dead"),
                                  retire_at={"old": NOW + DAY, "dead": NOW + DAY}))
    report = build_report("acme", live, state, None, NOW)
    found = [(d.kind, d.token_id, d.at) for d in due_dates(report, CONFIG, state)]
    assert found == [
        (DueKind.OVERLAP_ENDS, "old", NOW + DAY),
        (DueKind.ROTATION_DUE, "new", NOW + 6 * DAY),
        (DueKind.EXPIRES, "old", NOW + 21 * DAY),
        (DueKind.EXPIRES, "new", NOW + 29 * DAY),
    ]


def test_without_a_config_there_are_no_rotations() -> None:
    live = [LiveToken("new", "ci", NOW - DAY, NOW + 29 * DAY)]
    state = _state(ci=TokenRecord("new", "ci"))
    report = build_report("acme", live, state, None, NOW)
    assert [d.kind for d in due_dates(report, None, state)] == [DueKind.EXPIRES]
