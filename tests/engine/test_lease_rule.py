"""Which live tokens are leases, with plain data: state decides, a name alone never does."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from pstokens.api.models import ServiceToken
from pstokens.config.model import Rules
from pstokens.engine.leases.lease import sweep
from pstokens.engine.planning.leaseplan import LeaseRule, find_leases
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.operations import operations_table
from pstokens.state.model import LeaseRecord, State
from tests.engine.test_apply import NOW, FakeApi, config, spec
from tests.engine.test_leases import Book

TABLE = operations_table()

HOUR = 3600


def token(name: str, ttl: int | None, token_id: str = "t1") -> LiveToken:
    expires = None if ttl is None else NOW + timedelta(seconds=ttl)
    return LiveToken(token_id, name, NOW, expires, {})


@pytest.mark.parametrize(("name", "ttl", "max_ttl", "lease"), [
    ("ci+lease-abcdefgh", 900, None, True),  # what exec makes
    ("ci+lease-abcdefgh", HOUR, HOUR, True),  # exactly the longest ttl exec allows
    ("ci+lease-abcdefgh", 2 * HOUR, HOUR, False),  # longer than exec allows
    ("ci+lease-backdoor", None, None, False),  # no expiry: exec always sets one
    ("nokey+lease-abcdefgh", 900, None, False),  # a key the config does not have
    ("ci+lease-ABCDEFGH", 900, None, False),  # not a lease's name
    ("ci", 900, None, False),
])
def test_an_unrecorded_token_is_a_lease_only_when_it_looks_like_what_exec_makes(
    name: str, ttl: int | None, max_ttl: int | None, lease: bool,
) -> None:
    rule = LeaseRule.of(config(spec("ci"), rules=Rules(max_ttl=max_ttl)))
    assert rule.admits(token(name, ttl)) is lease
    live = {"t1": token(name, ttl)}
    plan = make_plan(config(spec("ci"), rules=Rules(max_ttl=max_ttl)), State("acme", "L"),
                     live, now=NOW, table=TABLE)
    assert [v.token_id for v in plan.leases] == (["t1"] if lease else [])
    assert [u.id for u in plan.unmanaged] == ([] if lease else ["t1"])


def test_without_a_config_only_what_state_records_is_a_lease() -> None:
    live = {"t1": token("ci+lease-abcdefgh", 900), "t2": token("ci+lease-recorded", 900, "t2")}
    state = State("acme", "L", leases={
        "ci+lease-recorded": LeaseRecord("ci", NOW + timedelta(seconds=900), id="t2")})
    assert [v.token_id for v in find_leases(state, live, LeaseRule.of(None))] == ["t2"]


def test_a_recorded_lease_stays_a_lease_whatever_it_looks_like() -> None:
    live = {"t1": token("odd+lease-abcdefgh", None)}
    record = LeaseRecord("odd", NOW + timedelta(hours=1), id="t1")
    state = State("acme", "L", leases={"odd+lease-abcdefgh": record})
    plan = make_plan(config(), state, live, now=NOW, table=TABLE)
    assert [v.token_id for v in plan.leases] == ["t1"] and plan.unmanaged == ()


def test_sweep_all_never_deletes_a_token_that_only_bears_a_leases_name() -> None:
    api = FakeApi()
    api.tokens["t1"] = ServiceToken(id="t1", name="ci+lease-backdoor", created_at=NOW)
    api.tokens["t2"] = ServiceToken(id="t2", name="ci+lease-abcdefgh", created_at=NOW,
                                    expires_at=NOW + timedelta(minutes=5), accesses=())
    rule = LeaseRule.of(config(spec("ci")))
    result = asyncio.run(sweep(api, Book(), "acme", NOW, every=True, rule=rule))
    assert [v.token_id for v in result.deleted] == ["t2"] and set(api.tokens) == {"t1"}


def test_a_token_named_like_a_lease_holding_more_than_its_key_gives_is_no_lease() -> None:
    """The trial's planted token: `dep+lease-long0000`, a 100-day expiry (no
    rules.max_ttl), holding admin accesses its key never gives."""
    rule = LeaseRule.of(config(spec("dep")))
    planted = LiveToken("t9", "dep+lease-long0000", NOW, NOW + timedelta(days=100),
                        {None: frozenset({"write_service_tokens"})})
    granted_as_exec_does = LiveToken("t8", "dep+lease-abcdefgh", NOW,
                                     NOW + timedelta(minutes=15), {})
    unread = LiveToken("t7", "dep+lease-unread00", NOW, NOW + timedelta(minutes=15), None)
    assert not rule.admits(planted)
    assert rule.admits(granted_as_exec_does)
    assert not rule.admits(unread)  # accesses not read: fail closed, judged as any token
