"""How each new token will be verified: a pure choice at plan time, carried by the plan."""

from __future__ import annotations

import json

import pytest

from pstokens.engine.planning.plan import Action, Plan
from pstokens.engine.rules.verifyplan import Chooser, Verification, choose_verification
from pstokens.errors import PlanError
from pstokens.operations import operations_table
from pstokens.render.markdown import render_markdown
from pstokens.render.text import render_text
from pstokens.state.model import State
from tests.engine.test_apply import FakeApi, config, plan_of, spec


@pytest.mark.parametrize(("accesses", "expected"), [
    ({}, Verification("list_organizations", None)),
    ({"app-prod": {"read_branch"}}, Verification("list_branches", "app-prod")),
    # The first database (by name) with a GET its own grants allow.
    ({"web": {"read_branch"}, "app": {"create_branch"}}, Verification("list_branches", "app")),
    ({"app": {"read_deploy_request"}}, Verification("list_deploy_requests", "app")),
    # The database's own grants before the organization's, which reach it too.
    ({None: {"read_databases"}, "app": {"read_branch"}}, Verification("list_branches", "app")),
    ({None: {"read_organization"}}, Verification("get_organization", None)),
    ({None: {"read_service_tokens"}}, Verification("list_service_tokens", None)),
    # No GET of only {organization} is allowed by these: the fallback.
    ({None: {"write_service_tokens"}}, Verification("list_organizations", None)),
    ({None: {"create_databases"}}, Verification("list_organizations", None)),
])
def test_the_choice_is_a_get_the_grants_allow_database_level_first(
    accesses: dict[str | None, set[str]], expected: Verification
) -> None:
    table = operations_table()
    found = choose_verification({k: frozenset(v) for k, v in accesses.items()}, table)
    assert found == expected
    if not found.fallback:
        op = table.operations[found.operation]
        held = accesses.get(found.database, set()) | accesses.get(None, set())
        assert op.method == "GET" and set(op.accesses) & held
        assert op.path.count("{") == (2 if found.database else 1)


def test_a_token_without_accesses_never_reads_the_table() -> None:
    assert Chooser(table=None)({}) == Verification()


def test_create_and_replace_changes_carry_it_in_json_text_and_markdown() -> None:
    api = FakeApi()
    cfg = config(spec("ci", accesses={"app-prod": frozenset({"read_branch"})}), spec("bare"))
    plan = plan_of(cfg, State("acme", "L"), api)
    creates = {c.key: c for c in plan.changes if c.action is Action.CREATE}
    assert creates["ci"].to_json()["verify"] == {"operation": "list_branches",
                                                  "database": "app-prod"}
    assert creates["bare"].to_json()["verify"] == {"operation": "list_organizations",
                                                    "database": None}
    text = render_text(plan)
    assert "verified by list_branches on app-prod" in text
    assert "verified by GET /v1/organizations" in text
    assert r"verified by list\_branches on app-prod" in render_markdown(plan)
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again.changes == plan.changes


@pytest.mark.parametrize("verify", [
    "list_branches", {"operation": "../x", "database": None},
    {"operation": "list_branches", "database": "a b"}, {"operation": "x", "extra": 1},
])
def test_a_saved_plan_with_a_damaged_verify_is_refused(verify: object) -> None:
    api = FakeApi()
    plan = plan_of(config(spec("ci")), State("acme", "L"), api)
    data = plan.to_json()
    data["changes"][0]["verify"] = verify
    with pytest.raises(PlanError, match="damaged"):
        Plan.from_json(data)


def test_a_saved_plan_writes_each_verification_once_and_reads_it_back() -> None:
    from pstokens.render.json import render_saved

    api = FakeApi()
    cfg = config(*(spec(f"k{i}", accesses={"app-prod": frozenset({"read_branch"})})
                   for i in range(3)), spec("bare"))
    plan = plan_of(cfg, State("acme", "L"), api)
    saved = json.loads(render_saved(plan))
    assert saved["verifications"] == [["list_organizations", None],
                                      ["list_branches", "app-prod"]]
    assert [c.get("verify") for c in saved["changes"] if c["action"] == "create"] == [
        0, 1, 1, 1]
    assert Plan.from_json(saved).changes == plan.changes
    saved["changes"][0]["verify"] = 7
    with pytest.raises(PlanError, match="not an entry of verifications"):
        Plan.from_json(saved)
