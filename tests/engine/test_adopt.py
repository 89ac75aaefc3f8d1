"""Export keys and adoption with plain data: whatever the names, an adopted export plans nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pstokens.config import parse_config
from pstokens.config.model import Config, TokenSpec
from pstokens.config.schema import TOKEN_KEY
from pstokens.engine.inventory.adopt import (
    adopt_by_name,
    adopt_exported,
    adopt_one,
    check_importable,
)
from pstokens.engine.inventory.export import assign_keys
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import PstokensError
from pstokens.operations import operations_table
from pstokens.render.export import export_yaml
from pstokens.state.model import State, TokenRecord

TABLE = operations_table()

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86400

names = st.one_of(
    st.none(),
    st.sampled_from(["deploy", "Deploy", "DEPLOY", "deploy bot", "deploy-2", "x" * 63, "x" * 64,
                     "", " ", "部署", "déploiement", "a\nb", "\x1b[31m", "token-t1"]),
    st.text(max_size=80),
)
ORGANIZATION = st.frozensets(st.sampled_from(["read_databases", "read_invoices"]), min_size=1)
DATABASE = st.frozensets(st.sampled_from(["read_branch", "create_branch"]), min_size=1)


@st.composite
def access_maps(draw: st.DrawFn) -> dict[str | None, frozenset[str]]:
    grouped: dict[str | None, frozenset[str]] = {}
    if draw(st.booleans()):
        grouped[None] = draw(ORGANIZATION)
    for database in draw(st.sets(st.sampled_from(["app-prod", "analytics"]))):
        grouped[database] = draw(DATABASE)
    return grouped


@st.composite
def organizations(draw: st.DrawFn) -> list[LiveToken]:
    tokens = []
    for n in range(draw(st.integers(0, 25))):
        age = draw(st.integers(0, 300 * DAY))
        created = NOW - timedelta(seconds=age)
        lifetime = draw(st.one_of(st.none(), st.integers(age + 1, age + 400 * DAY)))
        expires = None if lifetime is None else created + timedelta(seconds=lifetime)
        tokens.append(LiveToken(f"t{n}", draw(names), created, expires, draw(access_maps())))
    return tokens


@settings(max_examples=60, deadline=None, database=None)
@given(organizations())
def test_keys_are_valid_unique_and_a_key_equal_to_a_name_is_a_token_of_that_name(
    tokens: list[LiveToken],
) -> None:
    keys = assign_keys(tokens)
    assert sorted(t.id for t in keys.values()) == sorted(t.id for t in tokens)
    live_names = {t.name for t in tokens}
    for key, token in keys.items():
        assert TOKEN_KEY.fullmatch(key)
        if key in live_names:
            assert token.name == key


@settings(max_examples=60, deadline=None, database=None)
@given(organizations())
def test_an_adopted_export_validates_and_plans_no_change(tokens: list[LiveToken]) -> None:
    keys = assign_keys(tokens)
    config = parse_config(export_yaml("acme", keys, adopted=True))
    state = adopt_exported(State.new("acme"), keys).state
    plan = make_plan(config, state, {t.id: t for t in tokens}, now=NOW, table=TABLE)
    assert not plan.differs, plan  # no change, skip, drift or unmanaged token: "No changes."
    assert plan.unsafe == ()


def test_of_two_names_differing_in_case_the_exact_one_gets_the_key() -> None:
    capital = LiveToken("a", "Ci-Deploy", NOW, accesses={"app-prod": frozenset({"read_branch"})})
    lower = LiveToken("b", "ci-deploy", NOW + timedelta(days=1), accesses={})
    assert assign_keys([capital, lower]) == {"ci-deploy": lower, "ci-deploy-2": capital}


def _config(*keys: str) -> Config:
    return Config("acme", {k: TokenSpec(k) for k in keys})


def test_import_names_the_key_already_managing_a_token() -> None:
    state = State.new("acme").with_token("old", TokenRecord(id="t1", name="old"))
    with pytest.raises(PstokensError, match="token t1 is already managed as 'old'"):
        check_importable(state, _config("old", "new"), "new", "t1")
    retiring = State.new("acme").with_token("k", TokenRecord(id="t2", name="k", retiring=("t1",)))
    with pytest.raises(PstokensError, match="already managed as 'k'"):
        adopt_one(retiring, _config("k", "new"), "new", LiveToken("t1", "x"))


def test_by_name_skips_shared_names_and_managed_tokens() -> None:
    live = {t.id: t for t in [LiveToken("t1", "twin"), LiveToken("t2", "twin"),
                              LiveToken("t3", "solo"), LiveToken("t4", "kept")]}
    state = State.new("acme").with_token("other", TokenRecord(id="t4", name="kept"))
    adoption = adopt_by_name(state, _config("twin", "solo", "kept"), live)
    assert adoption.adopted == (("solo", "t3"),)
    assert adoption.ambiguous == (("twin", ("t1", "t2")),)


def test_export_adopt_refuses_a_state_with_keys() -> None:
    state = State.new("acme").with_token("k", TokenRecord(id="t1", name="k"))
    with pytest.raises(PstokensError, match="already records 1 key"):
        adopt_exported(state, assign_keys([LiveToken("t2", "x")]))
