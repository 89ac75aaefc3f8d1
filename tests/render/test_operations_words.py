"""What a grant opens and a revoke closes, in the words plan views use."""

from __future__ import annotations

from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.render.markdown import render_markdown
from pstokens.render.operations import operations_note


def test_a_grant_gives_the_count_and_names_the_destructive_ones() -> None:
    change = Change(Action.GRANT, "ci", None, "app-prod", ("connect_production_branch",),
                    allows=("create_password", "demote_branch", "promote_branch"))
    assert operations_note(change) == (
        "opens 3 operations, 2 destructive: demote_branch, promote_branch")


def test_a_grant_that_opens_nothing_new_says_so_and_an_undescribed_access_is_named() -> None:
    change = Change(Action.GRANT, "ci", "t1", None, ("delete_databases",), allows=())
    assert operations_note(change) == (
        "opens no new operation; delete_databases: not described by the API")


def test_a_revoke_says_what_the_token_can_no_longer_do() -> None:
    change = Change(Action.REVOKE, "ci", "t1", "app-prod", ("delete_branch",),
                    denies=("delete_branch",))
    assert operations_note(change) == "closes 1 operation, 1 destructive: delete_branch"
    kept = Change(Action.REVOKE, "ci", "t1", "app-prod", ("promote_branches",), denies=())
    assert operations_note(kept) == "closes no operation (others still allow them)"


def test_changes_without_the_fields_have_no_note() -> None:
    assert operations_note(Change(Action.CREATE, "ci")) is None
    assert operations_note(Change(Action.GRANT, "ci", None, None, ("read_branch",))) is None


def test_markdown_puts_the_note_in_the_accesses_cell() -> None:
    change = Change(Action.GRANT, "ci", None, "app-prod", ("delete_branch",),
                    allows=("delete_branch",))
    text = render_markdown(Plan("acme", "L", 1, (change,)))
    assert "| delete\\_branch (opens 1 operation, 1 destructive: delete\\_branch) |" in text
