"""The engine service's state edits, as a library caller makes them: `Workspace.forget`,
`rename`, `push` and `force_unlock` keep the rules `pstokens state` always had
(a known key, no clash, a valid name, one lineage, never an older serial), under
the state lock, and change nothing when they refuse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pstokens import (
    FileStateStore,
    LockHeld,
    State,
    StateEditRefused,
    StateError,
    UsageError,
    Workspace,
)
from pstokens.engine.applying.stateedits import PushPreview
from pstokens.state import TokenRecord


@contextlib.asynccontextmanager
async def _no_api() -> AsyncIterator[None]:
    raise AssertionError("a state edit calls no API")
    yield  # pragma: no cover


def _workspace(path: Path) -> Workspace:
    return Workspace("acme", FileStateStore(path), _no_api)  # type: ignore[arg-type]


def _seeded(path: Path, *keys: str) -> State:
    state = State.new("acme")
    for n, key in enumerate(keys):
        state = state.with_token(key, TokenRecord(id=f"id{n}", name=key))
    return FileStateStore(path).save(state)


def test_forget_and_rename_edit_state_and_refuse_what_state_does_not_allow(
    tmp_path: Path,
) -> None:
    path = tmp_path / "acme.json"
    _seeded(path, "a", "b")
    workspace = _workspace(path)

    assert workspace.rename("a", "c").id == "id0"
    with pytest.raises(StateEditRefused, match="'b' is already in state"):
        workspace.rename("c", "b")
    with pytest.raises(UsageError, match="not a valid key"):
        workspace.rename("c", "Not A Key")
    with pytest.raises(UsageError, match="keys are strings"):
        workspace.rename("c", 5)  # type: ignore[arg-type]
    assert workspace.forget("b").id == "id1"
    with pytest.raises(StateEditRefused, match="'b' is not in state"):
        workspace.forget("b")

    assert sorted(workspace.read_state().tokens) == ["c"]


def test_an_edit_waits_for_no_one_and_is_refused_while_a_run_holds_the_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "acme.json"
    _seeded(path, "a")
    with FileStateStore(path).locked(), pytest.raises(LockHeld):
        _workspace(path).forget("a")
    assert list(_workspace(path).read_state().tokens) == ["a"]


def test_push_keeps_one_lineage_never_goes_back_and_shows_what_it_changes(
    tmp_path: Path,
) -> None:
    there = tmp_path / "there.json"
    local = tmp_path / "local.json"
    first = _seeded(there, "a")
    local.write_bytes(there.read_bytes())
    FileStateStore(local).save(first.with_token("b", TokenRecord(id="idb", name="b")))
    seen: list[PushPreview] = []

    pushed = _workspace(there).push(str(local), show=seen.append)
    copy = tmp_path / "copy.json"
    copy.write_bytes(there.read_bytes())
    again = _workspace(there).push(str(copy))

    assert pushed.written is not None and sorted(pushed.written.tokens) == ["a", "b"]
    assert [len(p.moves) for p in seen] == [1] and again.written is None
    with pytest.raises(StateError, match="is older than"):
        _workspace(there).push(str(local))
    other = tmp_path / "other.json"
    _seeded(other, "a")
    with pytest.raises(StateError, match="is another state"):
        _workspace(there).push(str(other))
    with pytest.raises(UsageError, match="is the configured state itself"):
        _workspace(there).push(str(there))
