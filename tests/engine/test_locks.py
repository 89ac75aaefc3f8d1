"""State locks held from async code: a hold being let go is never waited on forever."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.engine.applying.locks import Hold, StateLocks, hold_lock
from pstokens.errors import LockHeld
from pstokens.state import FileStateStore


async def test_a_write_right_after_the_last_one_let_go_takes_the_lock_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStateStore(tmp_path / "acme.json")
    holds = StateLocks(lambda org: store)
    # The callback that forgets a hold once it is gone runs on the loop the hold was
    # made on, which may be another loop, or not yet: here it never runs.
    start = Hold.start
    monkeypatch.setattr(Hold, "start", lambda self, forget: start(self, lambda: None))
    first = await holds.take("acme")
    first.release()
    await first.gone()
    # The next take must not wait on the finished hold again and again (it spun
    # forever, never yielding to the loop).
    waits = 0
    gone = Hold.gone

    async def counted(self: Hold) -> None:
        nonlocal waits
        waits += 1
        assert waits < 5, "waited on a finished hold again and again"
        await gone(self)

    monkeypatch.setattr(Hold, "gone", counted)
    second = await holds.take("acme")
    assert second is not first
    second.release()
    await second.gone()


async def test_the_engine_service_lock_is_let_go_before_it_returns(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "acme.json")
    async with hold_lock(store, 0):
        with pytest.raises(LockHeld), store.locked(0):
            pass
    with store.locked(0):  # free again, at once
        pass
