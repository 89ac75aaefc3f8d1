"""The applier with plain data: a fake API in memory, a sink that keeps secrets in a dict.

No HTTP and no server: each test builds a plan, applies it and checks the
calls made, in order, and the state left behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pstokens.api.errors import Forbidden, OutcomeUnknown, ServerError, Unauthorized
from pstokens.api.models import CreatedToken, ServiceToken, TokenAccess
from pstokens.config.model import Config, TokenSpec
from pstokens.delivery import NewSecret
from pstokens.engine.applying.apply import Applier
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.applying.verify import Patience
from pstokens.engine.planning.outcome import Blocked, Outcome, Status
from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind
from pstokens.errors import PolicyDenied, SecretDeliveryError, UnsafePlan
from pstokens.operations import operations_table
from pstokens.secret import Secret
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ORG = "acme"


@dataclass
class FakeApi:
    """An organization in memory that records every call."""

    tokens: dict[str, ServiceToken] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)  # call name -> raised once
    made: int = 0
    # token ID -> database (None: the organization) -> live accesses
    held: dict[str, dict[str | None, frozenset[str]]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)  # token IDs whose credentials fail
    verified: list[str] = field(default_factory=list)  # verification calls, kept apart
    checks: list[tuple[str, str, str | None]] = field(default_factory=list)  # (id, path, db)
    forbidden: dict[str, int] = field(default_factory=dict)  # token ID -> 403s to answer

    def _call(self, *call: str) -> None:
        self.calls.append(call)
        if call[0] in self.fail:
            raise self.fail.pop(call[0])

    async def list_tokens(self, org: str, *, expected: int = 0) -> list[ServiceToken]:
        self.calls.append(("list",))
        return list(self.tokens.values())

    async def get_token(self, org: str, token_id: str) -> ServiceToken:
        return self.tokens[token_id]

    async def list_audit_log(self, org: str, *, since: datetime,
                             actions: Sequence[str] = ()) -> list[Any]:
        return []  # no event: nothing leaked

    async def list_accesses(self, org: str, token_id: str) -> list[TokenAccess]:
        return []

    async def accesses_of(self, org: str, token: ServiceToken) -> list[TokenAccess]:
        return []

    async def create_token(
        self, org: str, name: str | None = None, ttl: int | None = None
    ) -> CreatedToken:
        self.made += 1
        token = ServiceToken(id=f"new{self.made}", name=name, created_at=NOW)
        if "create-lost" in self.fail:
            self.fail.pop("create-lost")
            self.tokens[token.id] = token  # it happened, but the answer is lost
            self.calls.append(("create", name or ""))
            raise OutcomeUnknown("create's answer was lost")
        self._call("create", name or "")
        self.tokens[token.id] = token
        return CreatedToken(token=token, secret=Secret(f"pscale_tkn_secret_{token.id}"))

    async def delete_token(self, org: str, token_id: str) -> None:
        self._call("delete", token_id)
        self.tokens.pop(token_id, None)

    async def verify_credentials(self, token_id: str, secret: Secret) -> None:
        await self.get_as(token_id, secret, "/v1/organizations", organization=ORG)

    async def get_as(self, token_id: str, secret: Secret, template: str, *,
                     organization: str, database: str | None = None) -> None:
        """A GET as the token: 401 for refused credentials, 403 for a database
        path the token holds nothing on (yet), or while `forbidden` counts down."""
        self.verified.append(token_id)
        self.checks.append((token_id, template, database))
        if token_id in self.refused or secret.reveal() != f"pscale_tkn_secret_{token_id}":
            raise Unauthorized(f'verify new service token "{token_id}": Unauthorized',
                               status=401)
        if self.forbidden.get(token_id, 0) > 0:
            self.forbidden[token_id] -= 1
            raise Forbidden("Forbidden", status=403)
        if "{database}" in template and not self.held.get(token_id, {}).get(database):
            raise Forbidden("Forbidden", status=403)

    async def grant_accesses(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None = None
    ) -> list[TokenAccess]:
        self._call("grant", token_id, database or "", *accesses)
        held = self.held.setdefault(token_id, {})
        held[database] = held.get(database, frozenset()) | frozenset(accesses)
        return []

    async def revoke_accesses(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None = None
    ) -> None:
        self._call("revoke", token_id, database or "", *accesses)


class MemoryStore:
    def __init__(self) -> None:
        self.saved: list[State] = []

    def save(self, state: State) -> State:
        from dataclasses import replace

        written = replace(state, serial=state.serial + 1)
        self.saved.append(written)
        return written


class Sink:
    """Destinations in memory: each key's `places` (default one, "memory"); a key in
    `fail_for` fails at its `fail_at`-th destination (0: the first)."""

    def __init__(self, fail_for: set[str] | None = None, *, places: tuple[str, ...] = ("memory",),
                 fail_at: int = 0, api: FakeApi | None = None) -> None:
        self.secrets: dict[str, str] = {}
        self.held: dict[str, dict[str, str]] = {}  # place -> key -> token ID it holds
        self.fail_for = fail_for or set()
        self.places = places
        self.fail_at = fail_at
        self.api = api  # when given: what the token could do when it was delivered
        self.access_at_delivery: dict[str, dict[str | None, frozenset[str]]] = {}

    async def deliver(self, item: NewSecret, reached: Callable[[str], None] | None = None
                      ) -> str:
        if self.api is not None:
            self.access_at_delivery[item.token_id] = dict(self.api.held.get(item.token_id, {}))
        for index, place in enumerate(self.places):
            if item.key in self.fail_for and index == self.fail_at:
                raise SecretDeliveryError(f"command exited with status 1 for {item.key!r}")
            self.held.setdefault(place, {})[item.key] = item.token_id
            if reached is not None:
                reached(place)
        self.secrets[item.key] = item.secret.reveal()
        return ", ".join(self.places)

    def destinations(self, item: NewSecret) -> tuple[str, ...]:
        return self.places

    def folders(self, key: str) -> tuple[str, ...]:
        return ()


class Seen:
    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def report(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


def config(*specs: TokenSpec, **kw: Any) -> Config:
    return Config(organization="acme", tokens={s.key: s for s in specs}, **kw)


def spec(key: str, **kw: Any) -> TokenSpec:
    return TokenSpec(key, **kw)


def live(api: FakeApi) -> dict[str, LiveToken]:
    return {t.id: LiveToken(t.id, t.name, t.created_at, t.expires_at, api.held.get(t.id, {}))
            for t in api.tokens.values()}


class FakeTime:
    """A monotonic clock that only pauses move: verification retries cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def patience(self) -> Patience:
        return Patience(clock=self.clock, sleep=self.sleep)


def run(api: FakeApi, state: State, plan: Plan, *, sink: Sink | None = None,
        force: bool = False, time: FakeTime | None = None) -> tuple[State, Seen, MemoryStore]:
    store, seen = MemoryStore(), Seen()
    time = time or FakeTime()

    async def go() -> State:
        writer = StateWriter(store, state)  # type: ignore[arg-type]
        applier = Applier(api, writer, sink or Sink(), seen, now=lambda: NOW,
                          patience=time.patience())
        await applier.apply(plan, force=force)
        return applier.state

    return asyncio.run(go()), seen, store


def plan_of(cfg: Config, state: State, api: FakeApi, **options: frozenset[str]) -> Plan:
    return make_plan(cfg, state, live(api), now=NOW, options=PlanOptions(**options), table=TABLE)


def existing(api: FakeApi, token_id: str, name: str) -> TokenRecord:
    api.tokens[token_id] = ServiceToken(id=token_id, name=name, created_at=NOW - timedelta(days=1))
    return TokenRecord(id=token_id, name=name, created_at=NOW - timedelta(days=1))


def test_calls_run_create_then_grant_then_revoke_then_delete() -> None:
    api = FakeApi()
    old = existing(api, "t-old", "old")
    keep = existing(api, "t-keep", "keep")
    cfg = config(spec("keep", accesses={"app": frozenset({"read_branch"})}),
                 spec("new", accesses={None: frozenset({"read_databases"})}))
    state = State("acme", "L", 1, {"old": old, "keep": keep})
    api.held["t-keep"] = {"app": frozenset({"delete_branch"})}
    plan = plan_of(cfg, state, api)
    final, seen, _ = run(api, state, plan)
    assert [c[0] for c in api.calls] == ["create", "grant", "grant", "revoke", "delete"]
    assert ("revoke", "t-keep", "app", "delete_branch") in api.calls
    assert api.calls[-1] == ("delete", "t-old")
    assert set(final.tokens) == {"keep", "new"}
    assert all(o.status is Status.DONE for o in seen.outcomes)


def test_replaced_token_is_deleted_only_after_its_successor_is_granted_and_delivered() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    state = State("acme", "L", 1, {"ci": record})
    plan = plan_of(cfg, state, api, replace=frozenset({"ci"}))
    sink = Sink()
    final, _seen, _ = run(api, state, plan, sink=sink)
    assert api.calls == [("create", "ci"), ("grant", "new1", "app", "read_branch"),
                         ("delete", "t1")]
    assert final.tokens["ci"].id == "new1" and final.tokens["ci"].delivered
    assert sink.secrets == {"ci": "pscale_tkn_secret_new1"}
    assert final.tokens["ci"].retiring == ()


def test_a_token_delivered_nowhere_is_deleted_again_and_the_old_one_stays_as_it_was() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    state = State("acme", "L", 1, {"ci": record})
    plan = plan_of(cfg, state, api, replace=frozenset({"ci"}))
    final, seen, _ = run(api, state, plan, sink=Sink(fail_for={"ci"}))
    assert api.calls == [("create", "ci"), ("grant", "new1", "app", "read_branch"),
                         ("delete", "new1")]
    statuses = [(o.change.action, o.status, o.blocked, o.rolled_back) for o in seen.outcomes]
    assert statuses == [
        (Action.GRANT, Status.DONE, None, False),
        (Action.REPLACE, Status.UNDELIVERED, None, True),
        (Action.DELETE, Status.SKIPPED, Blocked.NOT_READY, False),
    ]
    assert "status 1" in (seen.outcomes[1].error or "")
    assert final.tokens["ci"] == record  # exactly as it was
    assert "t1" in api.tokens and "new1" not in api.tokens
    assert not any(c.makes_token or c.token_id == "new1" for c in plan_of(cfg, final, api).changes)


def test_a_failed_grant_means_no_delivery_the_new_token_goes_and_the_old_stays() -> None:
    api = FakeApi(fail={"grant": ServerError("boom", status=500)})
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    state = State("acme", "L", 1, {"ci": record})
    plan = plan_of(cfg, state, api, replace=frozenset({"ci"}))
    sink = Sink()
    final, seen, _ = run(api, state, plan, sink=sink)
    assert ("delete", "t1") not in api.calls and ("delete", "new1") in api.calls
    assert api.verified == [] and sink.secrets == {}
    assert [(o.status, o.blocked) for o in seen.outcomes] == [
        (Status.FAILED, None), (Status.SKIPPED, Blocked.GRANT_FAILED),
        (Status.SKIPPED, Blocked.NOT_READY)]
    assert final.tokens["ci"] == record


def test_the_applier_refuses_an_unsafe_plan_itself_and_calls_nothing() -> None:
    api = FakeApi()
    records = {f"k{i}": existing(api, f"t{i}", f"k{i}") for i in range(10)}
    cfg = config(*(spec(f"k{i}") for i in range(5)))
    state = State("acme", "L", 1, records)
    plan = plan_of(cfg, state, api)
    assert plan.unsafe
    with pytest.raises(UnsafePlan, match="5 of 10"):
        run(api, state, plan)
    assert api.calls == []
    run(api, state, plan, force=True)
    assert len([c for c in api.calls if c[0] == "delete"]) == 5


def test_the_applier_refuses_a_plan_a_policy_denies_even_forced() -> None:
    api = FakeApi()
    state = State("acme", "L", 1, {})
    denied = PolicyFinding(PolicyKind.DENY, "pstokens.ttl", "ci never expires", "ttl.rego")
    plan = replace(plan_of(config(spec("ci")), state, api), policies=(denied,))
    for force in (False, True):
        with pytest.raises(PolicyDenied, match=r'pstokens.ttl \(ttl.rego\): "ci never'):
            run(api, state, plan, force=force)
    assert api.calls == []


def test_a_prevent_destroy_change_is_recorded_in_state_without_an_api_call() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", prevent_destroy=True))
    state = State("acme", "L", 1, {"ci": record})
    plan = plan_of(cfg, state, api)
    assert [(c.action, c.cause) for c in plan.changes] == [(Action.UPDATE_STATE, Cause.PROTECT)]
    final, _seen, store = run(api, state, plan)
    assert api.calls == []
    assert final.tokens["ci"].prevent_destroy
    assert store.saved and store.saved[-1].tokens["ci"].prevent_destroy
    # Now removing the key from the config keeps the token.
    removed = plan_of(config(), final, api)
    assert removed.changes == () and [s.key for s in removed.skipped] == ["ci"]


def test_a_lost_create_is_cleared_by_the_shared_matcher_and_retried() -> None:
    api = FakeApi(fail={"create-lost": OutcomeUnknown("lost")})
    existing(api, "theirs", "ci")  # a namesake that predates the intent
    cfg = config(spec("ci"))
    state = State("acme", "L", 1, {})
    plan = plan_of(cfg, state, api)
    final, _seen, _ = run(api, state, plan)
    # The lost one (new1) is deleted, the retry (new2) is kept, theirs is untouched.
    assert api.calls == [("create", "ci"), ("list",), ("delete", "new1"), ("create", "ci")]
    assert final.tokens["ci"].id == "new2"
    assert "theirs" in api.tokens


def test_outcomes_never_hold_a_secret() -> None:
    api = FakeApi()
    cfg = config(spec("ci"), spec("db", accesses={"app": frozenset({"read_branch"})}))
    sink = Sink()
    _, seen, _ = run(api, State("acme", "L", 0, {}), plan_of(cfg, State("acme", "L"), api),
                     sink=sink)
    text = repr([o.to_json() for o in seen.outcomes]) + repr(seen.outcomes)
    assert sink.secrets and not any(s in text for s in sink.secrets.values())


def test_a_grant_on_a_token_that_could_not_be_created_is_skipped_with_the_reason() -> None:
    api = FakeApi(fail={"create": ServerError("down", status=503)})
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    _, seen, _ = run(api, State("acme", "L"), plan_of(cfg, State("acme", "L"), api))
    assert [(o.status, o.blocked) for o in seen.outcomes] == [
        (Status.FAILED, None), (Status.SKIPPED, Blocked.NOT_CREATED)
    ]
    assert isinstance(seen.outcomes[1].change, Change)
