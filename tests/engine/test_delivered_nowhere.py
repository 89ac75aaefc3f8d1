"""A new token delivered to no destination, or whose sink raised, with plain data.

PRODUCT.md "Secrets": if every destination failed, nobody holds the token:
apply deletes it and the token it was replacing stays exactly as it was.
Zero destinations is never "delivered", and whatever a sink raises is its
destination failing, never a crash that leaves a live token state lacks.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pstokens.delivery import NewSecret
from pstokens.engine.planning.outcome import Status
from pstokens.engine.planning.plan import Action
from pstokens.engine.planning.planner import PlanOptions, make_plan
from pstokens.engine.planning.policy import check_options
from pstokens.errors import UsageError
from pstokens.render import words
from pstokens.render.escape import terminal
from pstokens.state.model import State
from tests.engine.test_apply import (
    NOW,
    TABLE,
    FakeApi,
    Sink,
    config,
    existing,
    live,
    plan_of,
    run,
    spec,
)

ACCESSES = {"app": frozenset({"read_branch"})}


def test_an_empty_default_deliver_is_refused_when_the_options_are_made() -> None:
    for empty in ((), []):
        with pytest.raises(UsageError, match="no destination"):
            PlanOptions(replace=frozenset({"app"}), default_deliver=empty)


def test_an_empty_default_deliver_is_refused_before_anything_runs() -> None:
    cfg = config(spec("app", accesses=ACCESSES))
    options = PlanOptions(replace=frozenset({"app"}))
    object.__setattr__(options, "default_deliver", ())  # got past the constructor
    with pytest.raises(UsageError, match="no destination"):
        check_options(cfg, State("acme", "L"), options)


def replaced_once(sink: Sink) -> tuple[FakeApi, State, State, Status, str]:
    api = FakeApi()
    record = existing(api, "t1", "app")
    cfg = config(spec("app", accesses=ACCESSES))
    state = State("acme", "L", 1, {"app": record})
    final, seen, _ = run(api, state, plan_of(cfg, state, api, replace=frozenset({"app"})),
                         sink=sink)
    (made,) = [o for o in seen.outcomes if o.change.action is Action.REPLACE]
    assert made.rolled_back
    return api, state, final, made.status, made.error or ""


def test_a_sink_with_no_destination_never_counts_as_delivered() -> None:
    api, state, final, status, error = replaced_once(Sink(places=()))
    assert set(api.tokens) == {"t1"}  # the new token was deleted again, the old one kept
    assert final.tokens == state.tokens  # the key's state is exactly what it was
    assert status is Status.UNDELIVERED and "no destination" in error


class Raising(Sink):
    """A sink that raises what it was given, not a SecretDeliveryError."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def deliver(self, item: NewSecret, reached: Callable[[str], None] | None = None
                      ) -> str:
        raise type(self.error)(f"{self.error} {item.secret.reveal()}")


@pytest.mark.parametrize("error", [ValueError("embedded null byte"),
                                   OSError(5, "Input/output error"), RuntimeError("bug")])
def test_whatever_a_sink_raises_is_its_destination_failing(error: Exception) -> None:
    api, state, final, status, said = replaced_once(Raising(error))
    assert set(api.tokens) == {"t1"} and final.tokens == state.tokens
    assert status is Status.UNDELIVERED
    assert type(error).__name__ in said and "secret" not in said  # scrubbed out


def test_the_plan_never_says_secret_to_nothing() -> None:
    cfg = config(spec("app", accesses=ACCESSES, deliver=()))
    plan = make_plan(cfg, State("acme", "L"), live(FakeApi()), now=NOW, table=TABLE,
                     options=PlanOptions())
    (change,) = [c for c in plan.changes if c.makes_token]
    text = words.deliver(change, terminal)
    assert text.startswith("secret to ") and not text.rstrip().endswith("to")
    assert "no destination" in text
