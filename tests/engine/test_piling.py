"""Tokens piling up behind a destination that keeps failing, with plain data."""

from __future__ import annotations

from pstokens.engine.planning.piling import piling_warnings
from pstokens.engine.rules.findings import PlanWarning, WarningKind
from pstokens.engine.rules.live import LiveToken
from pstokens.render import words
from pstokens.state.model import State, TokenRecord


def state(record: TokenRecord) -> State:
    return State(organization="acme", lineage="L", serial=3, tokens={"ci": record})


def partly(token_id: str, *retiring: str) -> TokenRecord:
    """A key whose newest token reached one destination of two."""
    return TokenRecord(id=token_id, name="ci", delivered=False, retiring=retiring,
                       held_by={token_id: ("own/acme/ci.env",)})


def live(*ids: str) -> dict[str, LiveToken]:
    return {i: LiveToken(i, "ci") for i in ids}


def test_a_partly_delivered_key_with_two_live_tokens_is_expected() -> None:
    assert piling_warnings(state(partly("t2", "t1")), live("t1", "t2"), ["ci"]) == ()


def test_a_third_live_token_warns_naming_them_all() -> None:
    found = piling_warnings(state(partly("t3", "t2", "t1")), live("t1", "t2", "t3"), ["ci"])
    assert found == (PlanWarning(WarningKind.TOKENS_PILING_UP, "ci", ("t1", "t2", "t3")),)
    assert words.warning(found[0], str).startswith("ci: 3 live tokens (t1, t2, t3): ")


def test_only_live_tokens_count_and_only_for_keys_asked_about() -> None:
    record = partly("t3", "t2", "t1")
    assert piling_warnings(state(record), live("t2", "t3"), ["ci"]) == ()  # t1 deleted
    assert piling_warnings(state(record), live("t1", "t2", "t3"), ["other"]) == ()


def test_retiring_tokens_of_a_delivered_key_are_not_a_pile() -> None:
    """Overlap keeps old tokens on purpose: only a partly delivered key warns."""
    record = TokenRecord(id="t3", name="ci", retiring=("t1", "t2"))
    assert piling_warnings(state(record), live("t1", "t2", "t3"), ["ci"]) == ()
