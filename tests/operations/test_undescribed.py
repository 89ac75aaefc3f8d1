"""pstokens' own table of what undescribed accesses may allow: complete, sound, with
reasons, and the scope rule for an access neither table explains."""

from __future__ import annotations

import pytest

from pstokens.accesses import ALL_ACCESSES, DATABASE_ACCESSES, ORGANIZATION_ACCESSES
from pstokens.config import parse_config
from pstokens.engine.rules.guardrails import check_config
from pstokens.engine.rules.reach import Held, via
from pstokens.operations import operations_table
from pstokens.operations.undescribed import possibly_allowed, reason, undescribed_accesses
from pstokens.render.rules import config_problem

TABLE = operations_table()
UNDESCRIBED = sorted(a for a in ALL_ACCESSES if not TABLE.described(a))


def test_the_august_2026_table_leaves_five_accesses_undescribed_and_each_has_a_row() -> None:
    assert UNDESCRIBED == ["close_schema_recommendations", "create_deploy_requests",
                           "delete_databases", "read_metrics_endpoints",
                           "read_schema_recommendations"]
    assert sorted(undescribed_accesses()) == UNDESCRIBED


@pytest.mark.parametrize("access", UNDESCRIBED)
def test_each_row_has_a_reason_its_level_and_known_operations(access: str) -> None:
    row = undescribed_accesses()[access]
    assert len(reason(access) or "") > 40
    levels = {"organization": ORGANIZATION_ACCESSES, "database": DATABASE_ACCESSES}
    assert access in levels[row.level]
    assert set(row.operations) <= set(TABLE.operations)
    assert row.like is None or TABLE.described(row.like)
    assert possibly_allowed(access, row.level == "database", TABLE)


@pytest.mark.parametrize(("access", "expected"), [
    ("delete_databases", {"delete_database"}),
    ("create_deploy_requests", TABLE.by_access["create_deploy_request"]),
    ("read_schema_recommendations", {"list_schema_recommendations",
                                     "get_schema_recommendation",
                                     "dismiss_schema_recommendation"}),
    ("close_schema_recommendations", {"list_schema_recommendations",
                                      "get_schema_recommendation",
                                      "dismiss_schema_recommendation"}),
    ("read_metrics_endpoints", {o.id for o in TABLE.operations.values()
                                if "/metrics" in o.path}),
])
def test_what_each_undescribed_access_may_allow(access: str, expected: set[str]) -> None:
    assert possibly_allowed(access, False, TABLE) == expected


def test_a_described_access_possibly_allows_nothing_more() -> None:
    assert possibly_allowed("read_branch", True, TABLE) == frozenset()


def test_an_access_neither_table_explains_possibly_allows_everything_in_its_scope() -> None:
    everywhere = possibly_allowed("read_future_things", False, TABLE)
    on_database = possibly_allowed("read_future_things", True, TABLE)
    assert everywhere == {o.id for o in TABLE.operations.values() if o.accesses}
    assert on_database < everywhere
    assert "delete_database" in on_database and "create_database" not in on_database
    assert "list_organizations" not in everywhere  # no service token can, by the table


def test_via_says_where_each_access_is_held_and_which_only_possibly_allow() -> None:
    accesses = {None: frozenset({"delete_databases", "read_databases"}),
                "app-prod": frozenset({"delete_database"}),
                "app-staging": frozenset({"delete_database"})}
    assert via(accesses, "delete_database", "app-prod", TABLE) == (
        (Held("delete_database", "app-prod"),), (Held("delete_databases", None),))
    sure, maybe = via(accesses, "delete_database", None, TABLE)
    assert sure == (Held("delete_database", "app-prod"), Held("delete_database", "app-staging"))
    assert maybe == (Held("delete_databases", None),)


def test_validate_fails_closed_on_an_access_this_release_does_not_know() -> None:
    """With allow_unknown_accesses, a future access name passes validation; held on a
    database, it possibly allows every operation there, a forbidden one included."""
    config = parse_config(
        "organization: acme\nallow_unknown_accesses: true\n"
        "rules:\n  forbid_operations: [delete_database, create_database]\n"
        "tokens:\n  ci:\n    accesses:\n      databases:\n"
        "        app-prod: [read_branch, manage_future_things]\n")
    found = [(v.line, v.column, v.access, v.operation, v.possibly)
             for v in check_config(config)]
    assert found == [(9, 33, "manage_future_things", "delete_database", True)]
    assert "which possibly allows delete_database" in str(config_problem(check_config(config)[0]))
