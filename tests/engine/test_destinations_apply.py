"""The destination as the unit of delivery, and Ctrl-C, with plain data.

PRODUCT.md "Secrets": every destination failed -> the new token is deleted and
the old one stays exactly as it was; some succeeded -> both are kept, state
records who holds which, the next plan replaces the new one (`partly_delivered`)
and retires it like any delivered token. Ctrl-C in any phase says which tokens
exist and which destinations hold them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from pstokens.delivery import NewSecret
from pstokens.engine.applying.apply import Applier
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.planning.outcome import ApplyInterrupted, Made, Status
from pstokens.engine.planning.plan import Action, Cause
from pstokens.render.apply import interruption_lines, outcome_line
from pstokens.secret import Secret
from pstokens.state.model import State, TokenRecord
from tests.engine.test_apply import (
    NOW,
    FakeApi,
    FakeTime,
    MemoryStore,
    Seen,
    Sink,
    config,
    existing,
    plan_of,
    run,
    spec,
)

ACCESSES = {"app": frozenset({"read_branch"})}


def test_some_destinations_hold_the_new_token_so_both_are_kept_and_named() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    cfg = config(spec("ci", accesses=ACCESSES))
    state = State("acme", "L", 1, {"ci": record})
    sink = Sink(fail_for={"ci"}, places=("github", "vault", "k8s"), fail_at=1)
    final, seen, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"ci"})),
                         sink=sink)
    assert {"t1", "new1"} <= set(api.tokens) and ("delete", "new1") not in api.calls
    (made,) = [o for o in seen.outcomes if o.change.action is Action.REPLACE]
    assert made.status is Status.PARTLY_DELIVERED and not made.rolled_back
    assert (made.delivered_to, made.kept_at) == (("github",), ("vault", "k8s"))
    line = outcome_line(made)
    assert "github now hold new1, vault, k8s still hold t1" in line
    assert "both tokens are kept and the next plan replaces new1" in line
    ci = final.tokens["ci"]
    assert (ci.id, ci.delivered, ci.retiring) == ("new1", False, ("t1",))
    assert ci.held_by == {"new1": ("github",), "t1": ("vault", "k8s")}
    assert TokenRecord.from_json(ci.to_json()) == ci

    nxt = plan_of(cfg, final, api)
    assert [(c.action, c.token_id, c.cause) for c in nxt.changes if c.makes_token] == [
        (Action.REPLACE, "new1", Cause.PARTLY_DELIVERED)]
    assert (Action.DELETE, "t1", Cause.RETIRED) in [
        (c.action, c.token_id, c.cause) for c in nxt.changes]
    done, seen2, _ = run(api, final, nxt, sink=Sink(places=("github", "vault", "k8s")))
    assert set(api.tokens) == {"new2"}
    assert done.tokens["ci"].held_by == {"new2": ("github", "vault", "k8s")}
    assert all(o.status is Status.DONE for o in seen2.outcomes)


def test_a_new_key_delivered_nowhere_leaves_no_token_and_no_state() -> None:
    api = FakeApi()
    cfg = config(spec("ci", accesses=ACCESSES))
    final, seen, _ = run(api, State("acme", "L"), plan_of(cfg, State("acme", "L"), api),
                         sink=Sink(fail_for={"ci"}))
    assert api.tokens == {} and "ci" not in final.tokens
    (made,) = [o for o in seen.outcomes if o.change.makes_token]
    assert made.status is Status.UNDELIVERED and made.rolled_back
    assert outcome_line(made).startswith("ci: created new1, not delivered: command exited")
    assert outcome_line(made).endswith("; deleted again")


def test_older_state_without_held_by_still_loads() -> None:
    old = {"id": "t1", "name": "ci", "created_at": None, "expires_at": None, "ttl": None,
           "accesses": {}, "delivered": True, "prevent_destroy": False,
           "pending_since": None, "retiring": []}
    record = TokenRecord.from_json(old)
    assert record.held_by == {} and "held_by" not in record.to_json()


class Blocking(FakeApi):
    """Verification that waits forever: the moment to press Ctrl-C."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def get_as(self, token_id: str, secret: Secret, template: str, *,
                     organization: str, database: str | None = None) -> None:
        self.waiting.set()
        await asyncio.Event().wait()


class SlowSink(Sink):
    """Delivers the first destination, then waits forever at the second."""

    def __init__(self) -> None:
        super().__init__(places=("github", "vault"))
        self.waiting = asyncio.Event()

    async def deliver(self, item: NewSecret, reached: Callable[[str], None] | None = None
                      ) -> str:
        assert reached is not None
        reached("github")
        self.waiting.set()
        await asyncio.Event().wait()
        return ""


async def interrupt(api: FakeApi, state: State, sink: Sink, at: asyncio.Event,
                    **options: frozenset[str]) -> ApplyInterrupted:
    cfg = config(spec("ci", accesses=ACCESSES), spec("web"))
    plan = plan_of(cfg, state, api, **options)
    applier = Applier(api, StateWriter(MemoryStore(), state), sink, Seen(),  # type: ignore[arg-type]
                      now=lambda: NOW, patience=FakeTime().patience())
    task = asyncio.ensure_future(applier.apply(plan))
    await at.wait()
    task.cancel()  # what Ctrl-C does to `asyncio.run`'s task
    with pytest.raises(ApplyInterrupted) as caught:
        await task
    return caught.value


async def test_ctrl_c_during_verification_names_the_tokens_that_exist() -> None:
    api = Blocking()
    record = existing(api, "t1", "ci")
    stopped = await interrupt(api, State("acme", "L", 1, {"ci": record}), Sink(), api.waiting,
                              replace=frozenset({"ci"}))
    assert stopped.exit_code == 130
    assert stopped.report.made == (Made("ci", "new1", False, (), "t1"),
                                   Made("web", "new2", False, (), None))
    lines = interruption_lines(stopped.report)
    assert lines[0] == "Apply was interrupted. New tokens as it left them:"
    assert any(line.startswith("  ci: new") and line.endswith(
        "exists, not verified, delivered nowhere; t1, the token it replaces, is kept")
        for line in lines)
    assert "t1" in api.tokens and ("delete", "t1") not in api.calls


async def test_ctrl_c_between_two_destinations_says_which_one_holds_the_new_token() -> None:
    api = FakeApi()
    record = existing(api, "t1", "ci")
    sink = SlowSink()
    stopped = await interrupt(api, State("acme", "L", 1, {"ci": record}), sink, sink.waiting,
                              replace=frozenset({"ci"}), targets=frozenset({"ci"}))
    (made,) = stopped.report.made
    assert (made.key, made.verified, made.reached, made.replaces) == (
        "ci", True, ("github",), "t1")
    assert any(line.endswith("exists, held by github; t1, the token it replaces, is kept")
               for line in interruption_lines(stopped.report))
    assert "t1" in api.tokens
    assert stopped.report.to_json()["made"][0]["delivered_to"] == ["github"]


async def test_ctrl_c_during_the_creates_says_they_were_under_way() -> None:
    never = asyncio.Event()

    class Stalled(FakeApi):
        async def create_token(self, org: str, name: str | None = None,
                               ttl: int | None = None) -> object:  # type: ignore[override]
            never.set()
            await asyncio.Event().wait()

    stalled = Stalled()
    stopped = await interrupt(stalled, State("acme", "L"), Sink(), never)
    assert [m.token_id for m in stopped.report.made] == [None, None]
    assert "its create was under way" in "\n".join(interruption_lines(stopped.report))
    assert stalled.calls == []
