"""Operations end to end against the emulator: grants' `allows`, `who-can`,
`forbid_operations` in plans and reports, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pstokens.operations import TABLE_ENV, operations_table
from tests.e2e.conftest import Cli, Emulator, write_config

TABLE = operations_table()
CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [connect_production_branch]
"""
RULES = """\
organization: acme
rules:
  forbid_operations: [delete_database]
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
"""


def test_a_new_tokens_grant_allows_exactly_the_tables_operations_and_names_destructive_ones(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("plan", "--format", "json")
    assert result.code == 0, result.both
    (grant,) = [c for c in json.loads(result.out)["changes"] if c["action"] == "grant"]
    assert grant["allows"] == sorted(TABLE.allowed_by(["connect_production_branch"]))
    assert {"promote_branch", "demote_branch"} <= set(grant["allows"])
    text = cli("plan").out
    count = len(grant["allows"])
    assert f"(opens {count} operations, " in text
    assert "destructive: " in text and "demote_branch, " in text
    markdown = cli("plan", "--format", "markdown").out
    assert f"opens {count} operations" in markdown

    assert cli("apply", "--auto-approve").code == 0
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "[connect_production_branch]", "[connect_production_branch, promote_branches]"))
    again = json.loads(cli("plan", "--format", "json").out)
    (grant,) = [c for c in again["changes"] if c["action"] == "grant"]
    assert grant["accesses"] == ["promote_branches"] and grant["allows"] == []
    assert "(opens no new operation)" in cli("plan").out


def test_who_can_lists_managed_and_unmanaged_tokens_with_via(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    hand, _ = emulator.store.create_token("acme", "hand-made")
    emulator.store.grant("acme", hand["id"], ["promote_branches"], "app-staging")
    emulator.reset_stats()

    result = cli("who-can", "promote_branch", "--format", "json")
    assert result.code == 0, result.both
    managed = emulator.by_name("ci-deploy")[0]["id"]
    assert json.loads(result.out) == [
        {"id": managed, "name": "ci-deploy", "key": "ci-deploy",
         "via": [{"access": "connect_production_branch", "database": "app-prod"}],
         "possibly": False},
        {"id": hand["id"], "name": "hand-made", "key": None,
         "via": [{"access": "promote_branches", "database": "app-staging"}],
         "possibly": False},
    ]
    only = cli("who-can", "promote_branch", "--database", "app-staging")
    assert only.code == 0
    assert only.out.splitlines()[1:] == [
        "1 token can perform it on database app-staging:",
        '  "hand-made" [id ' + hand["id"] + ', unmanaged]  via promote_branches on app-staging']
    nobody = cli("who-can", "delete_database")
    assert nobody.code == 0 and "No live token can perform it." in nobody.out


@pytest.mark.parametrize(("args", "message"), [
    (("promote_brnch",), "Error: unknown operation 'promote_brnch' "
                         "(did you mean 'promote_branch'?)"),
    (("promote_branch", "--database", " "), "Error: --database is empty"),
])
def test_bad_input_is_one_line_exit_1_and_no_api_call(
    cli: Cli, emulator: Emulator, workdir: Path, args: tuple[str, ...], message: str
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.reset_stats()
    result = cli("who-can", *args)
    assert result.code == 1
    assert result.err.splitlines()[0] == message
    assert "Traceback" not in result.both and result.out == ""
    assert emulator.stats()["total"] == 0


def test_an_unknown_database_names_the_closest(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    result = cli("who-can", "promote_branch", "--database", "app-prd")
    assert result.code == 1
    assert result.err.splitlines()[0] == ("Error: unknown database 'app-prd': no token holds "
                                          "an access on it (did you mean 'app-prod'?)")


def test_a_table_that_fails_to_load_is_one_line(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "table.json").write_text("{broken")
    monkeypatch.setenv(TABLE_ENV, str(workdir / "table.json"))
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("who-can", "promote_branch")
    assert result.code == 1
    assert result.err.splitlines()[0].startswith(
        f"Error: cannot load the operations table {workdir / 'table.json'} (JSONDecodeError")
    assert "Traceback" not in result.both
    assert emulator.stats()["total"] == 0


def test_an_organization_without_tokens_is_an_empty_answer_and_an_empty_name_an_error(
    cli: Cli, workdir: Path
) -> None:
    result = cli("--org", "empty-org", "who-can", "promote_branch", "--format", "json")
    assert result.code == 0, result.both
    assert json.loads(result.out) == []
    blank = cli("--org", "", "who-can", "promote_branch")
    assert blank.code == 1 and "Traceback" not in blank.both
    assert len(blank.err.strip().splitlines()) <= 2



@pytest.mark.parametrize("command", [("who-can", "promote_branch"), ("report",), ("calendar",)])
def test_a_review_without_a_config_or_org_hints_org(
    cli: Cli, emulator: Emulator, workdir: Path, command: tuple[str, ...]
) -> None:
    """These read an organization with no config at all: the error says how."""
    result = cli(*command)
    assert result.code == 1 and result.out == "" and "Traceback" not in result.both
    error, hint = result.err.strip().splitlines()
    assert error == "Error: config file pstokens.yaml not found"
    assert hint.startswith("Hint: ") and "--org NAME" in hint and "-c FILE" in hint
    assert emulator.stats()["total"] == 0

def test_forbid_operations_is_checked_live_on_every_token(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", RULES)
    assert cli("apply", "--auto-approve").code == 0
    hand, _ = emulator.store.create_token("acme", "hand-made")
    emulator.store.grant("acme", hand["id"], ["delete_database"], "app-prod")

    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 2
    line = (f"\"hand-made\" [id {hand['id']}, unmanaged] can delete_database through "
            "delete_database on database app-prod (rules.forbid_operations)")
    assert line in plan.out
    data = json.loads(cli("plan", "--format", "json").out)
    assert [(v["rule"], v["operation"], v["access"]) for v in data["violations"]] == [
        ("forbid_operations", "delete_database", "delete_database")]
    assert "delete\\_database through delete\\_database" in cli(
        "plan", "--format", "markdown").out

    report = json.loads(cli("report", "--format", "json").out)
    assert report["rules"]["forbid_operations"] == ["delete_database"]
    assert [v["token_id"] for v in report["violations"]] == [hand["id"]]
    assert line in cli("report").out
    assert "forbidden delete_database via delete_database (app-prod)" in cli(
        "report", "--format", "html").out


def test_reports_count_operations_and_name_escalation_paths(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    minter, _ = emulator.store.create_token("acme", "minter")
    emulator.store.grant("acme", minter["id"], ["write_service_tokens", "create_databases",
                                                "delete_databases"])
    data = json.loads(cli("report", "--format", "json").out)
    rows = {t["name"]: t for t in data["tokens"]}
    assert rows["ci-deploy"]["operations"] == len(
        TABLE.allowed_by(["connect_production_branch"]))
    assert rows["minter"]["operations"] == 2  # create_service_token, create_database
    assert rows["minter"]["not_described"] == ["delete_databases"]
    assert rows["minter"]["escalations"] == ["write_service_tokens", "create_databases"]
    assert data["summary"]["escalations"] == 2
    assert [(e["kind"], e["access"], e["token_id"]) for e in data["escalations"]] == [
        ("escalation", "write_service_tokens", minter["id"]),
        ("escalation", "create_databases", minter["id"])]
    text = cli("report").out
    assert "Escalation paths (2):" in text
    assert (f"\"minter\" [id {minter['id']}, unmanaged] can create service tokens, with up to "
            "its own accesses (write_service_tokens)") in text
    assert "gets full access to each database it creates (create_databases)" in text
    markdown = cli("report", "--format", "markdown").out
    assert "Escalation paths" in markdown and "| minter |" in markdown
    html = cli("report", "--format", "html").out
    assert "1 escalation path(s)" not in html and "2 escalation path(s)" in html
    assert "gets full access to each database it creates (create_databases)" in html
    assert "2 operations (+ delete\\_databases: not described by the API)" in markdown


def test_validate_locates_each_access_that_allows_a_forbidden_operation(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", RULES.replace("[read_branch]", "[delete_database]"))
    result = cli("validate")
    assert result.code == 1
    assert ('pstokens.yaml:8:20: token "ci-deploy" asks for delete_database on database '
            "app-prod, which allows delete_database, forbidden by rules.forbid_operations"
            ) in result.err
    assert "Traceback" not in result.both
    assert emulator.stats()["total"] == 0
