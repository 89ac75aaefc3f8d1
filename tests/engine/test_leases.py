"""Leases with plain data: names, bounds, the order of calls, undo, planning, sweeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from pstokens.api.errors import OutcomeUnknown, ServerError
from pstokens.api.models import ServiceToken
from pstokens.config.model import Rules
from pstokens.engine.inventory.export import assign_keys
from pstokens.engine.leases.lease import (
    Lease,
    LeaseError,
    LeaseMaker,
    lease_name,
    lease_spec,
    sweep,
)
from pstokens.engine.planning.plan import Action, Cause
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.leaseview import lease_key
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import PstokensError
from pstokens.operations import operations_table
from pstokens.render.export import export_yaml
from pstokens.state.model import LeaseRecord, State
from tests.engine.test_apply import NOW, FakeApi, FakeTime, config, existing, run, spec

TABLE = operations_table()

ACCESSES = {None: frozenset({"read_databases"}), "app": frozenset({"read_branch"}),
            "web": frozenset({"read_branch", "connect_branch"})}


class Book:
    def __init__(self, state: State | None = None) -> None:
        self.state = state or State("acme", "L")
        self.history: list[State] = []

    def read(self) -> State:
        return self.state

    async def edit(self, change: Callable[[State], State]) -> State:
        self.state = change(self.state)
        self.history.append(self.state)
        return self.state


def opened(api: FakeApi, book: Book) -> Lease:
    maker = LeaseMaker(api, book, "acme", now=lambda: NOW, patience=FakeTime().patience())
    return asyncio.run(maker.open(spec("ci", accesses=ACCESSES), 900))


def test_a_lease_name_is_the_key_plus_eight_random_letters_or_digits() -> None:
    names = {lease_name("ci-deploy") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert lease_key(name) == "ci-deploy"
        suffix = name.removeprefix("ci-deploy+lease-")
        assert len(suffix) == 8 and suffix.isalnum() and suffix == suffix.lower()
    assert lease_key("ci-deploy") is None and lease_key("x+lease-ABCDEFGH") is None


@pytest.mark.parametrize(("ttl", "max_ttl", "ok"), [
    (None, None, 900), (60, None, 60), (59, None, None), (3600, 1800, None), (1800, 1800, 1800),
])
def test_ttl_defaults_to_15m_at_least_1m_at_most_max_ttl(
    ttl: int | None, max_ttl: int | None, ok: int | None
) -> None:
    cfg = config(spec("ci"), rules=Rules(max_ttl=max_ttl))
    if ok is None:
        with pytest.raises(PstokensError):
            lease_spec(cfg, "ci", ttl)
    else:
        assert lease_spec(cfg, "ci", ttl)[1] == ok


def test_an_unknown_key_is_refused_naming_the_keys() -> None:
    with pytest.raises(PstokensError, match="not a key") as caught:
        lease_spec(config(spec("ci"), spec("web")), "cl", None)
    assert caught.value.hint == "keys in the config: ci, web"


def test_open_records_an_intent_then_creates_records_grants_per_scope_and_verifies() -> None:
    api, book = FakeApi(), Book()
    lease = opened(api, book)
    intent = book.history[0].leases[lease.name]
    assert (intent.id, intent.pending_since) == (None, NOW)  # before the create
    assert intent.expires_at > NOW
    assert book.state.leases[lease.name].id == lease.token_id == "new1"
    assert [c[0] for c in api.calls] == ["create", "grant", "grant", "grant"]
    assert api.calls[0] == ("create", lease.name)
    assert sorted(c[2] for c in api.calls[1:]) == ["", "app", "web"]
    # Verified as apply verifies: a GET its grants allow, on one of its databases.
    assert api.checks == [
        ("new1", "/v1/organizations/{organization}/databases/{database}/branches", "app")]


def test_a_lease_that_fails_verification_is_deleted_and_forgotten() -> None:
    api, book = FakeApi(refused={"new1"}), Book()
    with pytest.raises(LeaseError, match="could not make lease"):
        opened(api, book)
    assert api.calls[-1] == ("delete", "new1") and api.tokens == {}
    assert book.state.leases == {}


def test_a_failed_grant_deletes_the_lease() -> None:
    api, book = FakeApi(fail={"grant": ServerError("boom", status=500)}), Book()
    with pytest.raises(LeaseError):
        opened(api, book)
    assert api.tokens == {} and book.state.leases == {} and api.verified == []


def test_a_lost_create_is_cleared_by_its_unique_name_and_made_again() -> None:
    api, book = FakeApi(fail={"create-lost": OutcomeUnknown("lost")}), Book()
    lease = opened(api, book)
    assert ("delete", "new1") in api.calls
    assert set(api.tokens) == {lease.token_id} == {"new2"}


def test_close_deletes_then_forgets() -> None:
    api, book = FakeApi(), Book()
    lease = opened(api, book)
    asyncio.run(LeaseMaker(api, book, "acme").close(lease))
    assert api.tokens == {} and book.state.leases == {}


def live_of(api: FakeApi) -> dict[str, LiveToken]:
    return {t.id: LiveToken(t.id, t.name, t.created_at, t.expires_at, {})
            for t in api.tokens.values()}


def test_a_plan_lists_a_live_lease_apart_and_never_as_unmanaged() -> None:
    api, book = FakeApi(), Book()
    lease = opened(api, book)
    api.tokens[lease.token_id] = api.tokens[lease.token_id].model_copy(
        update={"expires_at": NOW + timedelta(minutes=15)})
    plan = make_plan(config(), book.state, live_of(api), now=NOW, table=TABLE)
    assert [v.token_id for v in plan.leases] == [lease.token_id]
    assert plan.unmanaged == () and plan.changes == () and plan.drift == ()


def test_a_plan_deletes_an_expired_lease_and_apply_forgets_it() -> None:
    api, book = FakeApi(), Book()
    lease = opened(api, book)
    api.tokens[lease.token_id] = api.tokens[lease.token_id].model_copy(
        update={"expires_at": NOW - timedelta(seconds=1)})
    plan = make_plan(config(), book.state, live_of(api), now=NOW, table=TABLE)
    assert [(c.action, c.token_id, c.cause) for c in plan.changes] == [
        (Action.DELETE, lease.token_id, Cause.LEASE_EXPIRED)]
    assert plan.leases == () and plan.differs and plan.unsafe == ()
    final, _seen, _ = run(api, book.state, plan)
    assert api.tokens == {} and final.leases == {}


def test_an_intent_whose_create_answer_was_lost_is_found_by_its_name() -> None:
    api = FakeApi()
    name = "ci+lease-abcd1234"
    api.tokens["t9"] = ServiceToken(id="t9", name=name, created_at=NOW,
                                    expires_at=NOW - timedelta(seconds=1))
    state = State("acme", "L", leases={name: LeaseRecord("ci", NOW, pending_since=NOW)})
    plan = make_plan(config(), state, live_of(api), now=NOW, table=TABLE)
    assert [(c.token_id, c.cause) for c in plan.changes] == [("t9", Cause.LEASE_EXPIRED)]


def test_a_lease_is_never_taken_for_a_managed_token() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    api.tokens["t2"] = ServiceToken(id="t2", name="ci+lease-00000000", created_at=NOW,
                                    expires_at=NOW + timedelta(minutes=5))
    state = State("acme", "L", 1, {"ci": record})
    plan = make_plan(config(spec("ci")), state, live_of(api), now=NOW, table=TABLE)
    assert plan.changes == () and plan.unmanaged == ()
    assert [(v.token_id, v.recorded) for v in plan.leases] == [("t2", False)]


def test_sweep_deletes_expired_forgets_gone_and_keeps_live_and_pending() -> None:
    api = FakeApi()
    api.tokens["old"] = ServiceToken(id="old", name="ci+lease-aaaaaaaa", created_at=NOW,
                                     expires_at=NOW - timedelta(seconds=1))
    api.tokens["new"] = ServiceToken(id="new", name="ci+lease-bbbbbbbb", created_at=NOW,
                                     expires_at=NOW + timedelta(minutes=5))
    leases = {
        "ci+lease-aaaaaaaa": LeaseRecord("ci", NOW, id="old"),
        "ci+lease-bbbbbbbb": LeaseRecord("ci", NOW + timedelta(minutes=5), id="new"),
        "ci+lease-cccccccc": LeaseRecord("ci", NOW, id="gone"),
        "ci+lease-dddddddd": LeaseRecord("ci", NOW + timedelta(minutes=5), pending_since=NOW),
        "ci+lease-eeeeeeee": LeaseRecord("ci", NOW - timedelta(seconds=1), pending_since=NOW),
    }
    book = Book(State("acme", "L", leases=leases))
    result = asyncio.run(sweep(api, book, "acme", NOW))
    assert [v.token_id for v in result.deleted] == ["old"]
    assert sorted(v.name for v in result.forgotten) == ["ci+lease-cccccccc", "ci+lease-eeeeeeee"]
    assert set(book.state.leases) == {"ci+lease-bbbbbbbb", "ci+lease-dddddddd"}
    assert set(api.tokens) == {"new"}
    every = asyncio.run(sweep(api, book, "acme", NOW, every=True))
    assert [v.token_id for v in every.deleted] == ["new"] and api.tokens == {}


def test_export_leaves_leases_out() -> None:
    tokens = [LiveToken("t1", "ci", NOW, None, {}),
              LiveToken("t2", "ci+lease-abcdefgh", NOW, NOW + timedelta(minutes=5), {})]
    keys = assign_keys(tokens)
    assert set(keys) == {"ci"} and "lease" not in export_yaml("acme", keys)
