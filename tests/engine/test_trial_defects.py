"""The trial's smaller defects (issue 26), with plain data: a running exec's lease
is never listed or swept as gone, a pending intent never shows an empty ID, and
the unsafe-plan message never counts an unmanaged delete as a managed one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from pstokens.api.errors import NotFound
from pstokens.api.models import ServiceToken
from pstokens.engine.leases.lease import sweep
from pstokens.engine.planning.leaseplan import LeaseRule, find_leases, settled
from pstokens.engine.planning.policy import check_safe
from pstokens.engine.rules.leaseview import LeaseView
from pstokens.engine.run import Workspace
from pstokens.errors import PstokensError
from pstokens.render import words
from pstokens.render.escape import terminal
from pstokens.state import FileStateStore
from pstokens.state.model import LeaseRecord, State
from tests.engine.test_apply import NOW, FakeApi
from tests.engine.test_leases import Book
from tests.engine.test_planner import config, live, plan, record, spec, state, token

NAME = "ci+lease-abcd1234"
RECORDED = LeaseRecord("ci", NOW + timedelta(minutes=15), id="t9")


def test_a_lease_recorded_while_the_tokens_were_listed_is_not_gone() -> None:
    """`exec` created and recorded its lease after `lease list` read state and while
    it listed tokens: the list lacks the token, the state now has it. Running, not gone."""
    before = State("acme", "L")
    after = before.with_lease(NAME, RECORDED)
    (view,) = settled(find_leases(after, {}, LeaseRule()), before)
    assert view.live and view.token_id == "t9"
    # Recorded before the list was read and absent from it: deleted, so gone.
    (view,) = settled(find_leases(after, {}, LeaseRule()), after)
    assert not view.live


class RacingApi(FakeApi):
    """While its tokens are listed, an `exec` creates and records its lease."""

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book

    async def list_tokens(self, org: str, *, expected: int = 0) -> list[ServiceToken]:
        answer = await super().list_tokens(org, expected=expected)
        self.tokens["t9"] = ServiceToken(id="t9", name=NAME, created_at=NOW,
                                         expires_at=NOW + timedelta(minutes=15))
        self.book.state = self.book.state.with_lease(NAME, RECORDED)
        return answer


def test_sweep_never_forgets_a_running_execs_lease_recorded_during_its_list() -> None:
    book = Book()
    result = asyncio.run(sweep(RacingApi(book), book, "acme", NOW))
    assert [v.name for v in result.kept] == [NAME] and result.forgotten == []
    assert NAME in book.state.leases


def test_a_pending_intent_says_it_has_no_id_yet() -> None:
    view = LeaseView(NAME, "ci", None, NOW, live=False, recorded=True)
    line = words.lease(view, terminal)
    assert "no ID yet" in line and "id  " not in line
    assert "id t9 " in words.lease(LeaseView(NAME, "ci", "t9", NOW, True, True), terminal)


def test_the_unsafe_message_counts_managed_and_unmanaged_deletes_apart() -> None:
    records = {f"k{i}": record(f"t{i}", f"k{i}") for i in range(10)}
    tokens = [token(f"t{i}", f"k{i}") for i in range(10)] + [token("u1", "stray")]
    keep = config(*(spec(f"k{i}") for i in range(7)), policy="delete")  # 3 managed + 1
    p = plan(keep, state(**records), live(*tokens))
    (item,) = p.unsafe
    assert (item.deletes, item.unmanaged, item.managed_deletes) == (4, 1, 3)
    assert words.unsafe(item, str) == (
        "the plan deletes 3 of 10 managed tokens and 1 unmanaged token (4 in all), more "
        "than safety.max_delete_percent (30%)")
    with pytest.raises(PstokensError) as refused:
        check_safe(p, force=False)
    assert "deletes 3 of 10 managed tokens and 1 unmanaged (4 in all)" in refused.value.message


class SkippingApi(FakeApi):
    """A token list read while other tokens come and go: it misses one live token."""

    def __init__(self, skipped: str) -> None:
        super().__init__()
        self.skipped = skipped

    async def list_tokens(self, org: str, *, expected: int = 0) -> list[ServiceToken]:
        return [t for t in self.tokens.values() if t.id != self.skipped]

    async def get_token(self, org: str, token_id: str) -> ServiceToken:
        if token_id not in self.tokens:
            raise NotFound("no such token", status=404)
        return self.tokens[token_id]


def test_lease_list_calls_a_recorded_lease_gone_only_when_the_api_has_no_such_token(
    tmp_path: Path,
) -> None:
    api = SkippingApi(skipped="t9")
    api.tokens["t9"] = ServiceToken(id="t9", name=NAME, created_at=NOW,
                                    expires_at=NOW + timedelta(minutes=15))
    store = FileStateStore(tmp_path / "acme.json")
    store.save(State.new("acme").with_lease(NAME, RECORDED).with_lease(
        "ci+lease-deadbeef", LeaseRecord("ci", NOW, id="t8")))

    @contextlib.asynccontextmanager
    async def connect() -> AsyncIterator[FakeApi]:
        yield api

    views = asyncio.run(Workspace("acme", store, connect, config=config(spec("ci"))).leases())
    assert [(v.name, v.token_id, v.live) for v in views] == [
        ("ci+lease-abcd1234", "t9", True),  # running: the list missed it, the API has it
        ("ci+lease-deadbeef", "t8", False),  # deleted: gone
    ]
