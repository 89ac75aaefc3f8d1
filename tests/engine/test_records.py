"""What state keeps of a key after each delete of an apply (planning/records.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pstokens.engine.planning.records import after_delete
from pstokens.state.model import TokenRecord

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("leftover_first", [True, False])
def test_a_removed_keys_record_goes_once_its_gone_token_and_a_leftover_are_both_done(
    leftover_first: bool,
) -> None:
    """The plan forgets `t1` (already gone) and deletes `n1` (a lost create's
    leftover), in either order: the key is kept until both are done, then dropped."""
    record = TokenRecord(id="t1", name="old", pending_since=NOW)
    doomed: set[str] = {"n1"}
    deleted: set[str] = set()

    def done(token_id: str, before: TokenRecord | None) -> TokenRecord | None:
        if token_id in doomed:  # a live token: the applier deleted it first
            deleted.add(token_id)
        return after_delete(before, token_id, doomed, set(), deleted, removed=True)

    first, second = ("n1", "t1") if leftover_first else ("t1", "n1")
    halfway = done(first, record)
    assert halfway is not None  # one of the two is still to do
    assert done(second, halfway) is None
