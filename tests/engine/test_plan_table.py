"""The operations table is a value the planner is given, never one it reads itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pstokens.config.model import Rules
from pstokens.engine.planning.plan import Action
from pstokens.engine.planning.planner import make_plan
from pstokens.engine.rules.live import LiveToken
from pstokens.operations import TABLE_ENV, parse_table
from pstokens.state.model import State
from tests.engine.test_apply import config, spec

NOW = datetime(2026, 9, 1, tzinfo=UTC)
# A table of its own: `read_branch` allows one GET the packaged table has never heard of.
TABLE = parse_table({"operations": [
    {"operation": "list_organizations", "method": "GET", "path": "/v1/organizations",
     "service_token_accesses_any_of": []},
    {"operation": "peek_at_branches", "method": "GET",
     "path": "/v1/organizations/{organization}/databases/{database}/peek",
     "service_token_accesses_any_of": ["read_branch"]},
    {"operation": "delete_branch", "method": "DELETE",
     "path": "/v1/organizations/{organization}/databases/{database}/branches/{name}",
     "service_token_accesses_any_of": ["delete_branch", "read_branch"]},
]})


def test_new_tokens_are_verified_by_a_get_of_the_table_the_planner_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TABLE_ENV, "/nonexistent/never-read.json")
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    plan = make_plan(cfg, State("acme", "L"), {}, now=NOW, table=TABLE)
    (create,) = (c for c in plan.changes if c.action is Action.CREATE)
    assert create.to_json()["verify"] == {"operation": "peek_at_branches", "database": "app"}


def test_forbidden_operations_are_judged_by_the_given_table() -> None:
    cfg = config(spec("ci", accesses={"app": frozenset({"read_branch"})}))
    cfg = type(cfg)(cfg.organization, cfg.tokens,
                    rules=Rules(forbid_operations=frozenset({"delete_branch"})))
    live = {"t1": LiveToken("t1", "by-hand", NOW, None,
                            accesses={"app": frozenset({"read_branch"})})}
    plan = make_plan(cfg, State("acme", "L"), live, now=NOW, table=TABLE)
    assert [(v.token_id, v.operation) for v in plan.violations] == [("t1", "delete_branch")]
