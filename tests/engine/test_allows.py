"""`allows` on grants and `denies` on revokes, from the planner with plain data."""

from __future__ import annotations

from pstokens.engine.planning.allows import with_allows
from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.operations import operations_table
from tests.engine.test_planner import config, live, plan, record, spec, state, token

TABLE = operations_table()


def grants(p: Plan) -> list[Change]:
    return [c for c in p.changes if c.action is Action.GRANT]


def test_a_new_tokens_one_access_allows_exactly_the_operations_the_table_lists_for_it() -> None:
    for access, level in (("connect_production_branch", "app_prod"),
                          ("read_databases", "org"), ("restore_backup", "app_prod")):
        (grant,) = grants(plan(config(spec("ci", **{level: [access]})), state(), live()))
        expected = sorted(o.id for o in TABLE.operations.values() if access in o.accesses)
        assert list(grant.allows or ()) == expected, access
    (grant,) = grants(plan(config(spec("ci", app_prod=["restore_backup"])), state(), live()))
    assert "create_branch" in (grant.allows or ())


def test_a_grant_that_opens_nothing_new_allows_nothing() -> None:
    # promote_branches adds no operation that connect_production_branch does not allow.
    held = {"app-prod": ["connect_production_branch"]}
    p = plan(config(spec("ci", app_prod=["connect_production_branch", "promote_branches"])),
             state(ci=record("t1", "ci", accesses={"app-prod": frozenset(held["app-prod"])})),
             live(token("t1", "ci", accesses=held)))
    (grant,) = grants(p)
    assert grant.accesses == ("promote_branches",)
    assert grant.allows == ()


def test_an_access_the_table_does_not_describe_opens_what_it_may_allow_never_nothing() -> None:
    """PRODUCT.md: never shown as allowing nothing. The second trial saw a grant of
    delete_databases read "opens no new operation"; it may delete every database."""
    (grant,) = grants(plan(config(spec("ci", org=["delete_databases"])), state(), live()))
    assert not TABLE.described("delete_databases")
    assert "delete_database" in (grant.allows or ())


def test_an_organization_access_already_held_covers_the_same_operations_on_a_database() -> None:
    held = {None: ["read_databases"]}
    p = plan(config(spec("ci", org=["read_databases"], app_prod=["read_database"])),
             state(ci=record("t1", "ci", accesses={None: frozenset(held[None])})),
             live(token("t1", "ci", accesses=held)))
    (grant,) = grants(p)
    org_ops = TABLE.allowed_by(["read_databases"])
    assert grant.allows is not None and grant.allows
    assert not set(grant.allows) & org_ops
    assert set(grant.allows) == TABLE.allowed_by(["read_database"]) - org_ops


def test_a_database_grant_opens_that_databases_operations_even_if_another_has_them() -> None:
    held = {"app-staging": ["delete_branch"]}
    p = plan(config(spec("ci", app_staging=["delete_branch"], app_prod=["delete_branch"])),
             state(ci=record("t1", "ci", accesses={"app-staging": frozenset(["delete_branch"])})),
             live(token("t1", "ci", accesses=held)))
    (grant,) = grants(p)
    assert grant.database == "app-prod"
    assert "delete_branch" in (grant.allows or ())


def test_a_revoke_denies_what_no_remaining_access_still_allows() -> None:
    held = {"app-prod": ["connect_production_branch", "promote_branches"]}
    p = plan(config(spec("ci", app_prod=["promote_branches"])),
             state(ci=record("t1", "ci", accesses={"app-prod": frozenset(held["app-prod"])})),
             live(token("t1", "ci", accesses=held)))
    (revoke,) = [c for c in p.changes if c.action is Action.REVOKE]
    assert revoke.accesses == ("connect_production_branch",)
    denied = set(revoke.denies or ())
    assert denied == (TABLE.allowed_by(["connect_production_branch"])
                      - TABLE.allowed_by(["promote_branches"]))
    assert "promote_branch" not in denied  # promote_branches still allows it
    assert revoke.allows is None


def test_the_fields_survive_a_saved_plan_and_other_changes_carry_none() -> None:
    p = plan(config(spec("ci", app_prod=["read_branch"])), state(), live())
    again = Plan.from_json(p.to_json())
    assert again.changes == p.changes
    create = next(c for c in p.changes if c.action is Action.CREATE)
    assert "allows" not in create.to_json() and "denies" not in create.to_json()
    assert p.to_json()["changes"][1]["allows"] == sorted(TABLE.allowed_by(["read_branch"]))


def test_a_plan_without_access_changes_is_returned_as_it_is() -> None:
    p = Plan("acme", "L", 1, (Change(Action.DELETE, "x", "t1"),))
    assert with_allows(p, {}) is p


def test_a_revoke_on_a_database_denies_nothing_the_organization_level_still_allows() -> None:
    # Organization-level read_databases and database-level read_database share operations.
    shared = TABLE.allowed_by(["read_databases"]) & TABLE.allowed_by(["read_database"])
    assert shared  # list_databases, get_database, ...
    held = {None: ["read_databases"], "app-prod": ["read_database"]}
    p = plan(config(spec("ci", org=["read_databases"])),
             state(ci=record("t1", "ci", accesses={None: frozenset(["read_databases"]),
                                                   "app-prod": frozenset(["read_database"])})),
             live(token("t1", "ci", accesses=held)))
    (revoke,) = [c for c in p.changes if c.action is Action.REVOKE]
    assert revoke.database == "app-prod"
    assert not set(revoke.denies or ()) & shared
    assert set(revoke.denies or ()) == TABLE.allowed_by(["read_database"]) - shared


def test_an_undescribed_access_opens_its_own_scope_whether_held_on_a_database_or_not() -> None:
    """An access neither table describes may allow every operation in its scope: on a
    database, that database's; on the organization, every one. Two tokens granting it
    at the two levels, holding nothing else there, each get their own answer."""
    unknown = "read_future_things"
    p = plan(config(spec("a", app_prod=[unknown]), spec("b", org=[unknown])), state(), live())
    on_database, on_organization = grants(p)
    assert (on_database.key, on_organization.key) == ("a", "b")
    assert set(on_database.allows or ()) == TABLE.database_operations
    assert set(on_organization.allows or ()) == TABLE.token_operations
