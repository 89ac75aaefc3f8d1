"""pstokens fails closed on accesses the API does not describe (PRODUCT.md "Who can do
what"). The trial's scenario: `forbid_operations: [delete_database]` flags a token
holding `delete_databases`, and `who-can delete_database` names it, as "possibly",
offline and live, in every output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

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


@pytest.fixture
def legacy(cli: Cli, emulator: Emulator, workdir: Path) -> str:
    """A hand-made token holding delete_databases on the organization; its ID."""
    write_config(workdir / "pstokens.yaml", RULES)
    assert cli("apply", "--auto-approve").code == 0
    made, _ = emulator.store.create_token("acme", "legacy-admin")
    emulator.store.grant("acme", made["id"], ["delete_databases"])
    return str(made["id"])


def test_forbid_operations_flags_a_token_holding_delete_databases_as_possibly(
    cli: Cli, legacy: str,
) -> None:
    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.both
    line = (f'"legacy-admin" [id {legacy}, unmanaged] can possibly delete_database through '
            "delete_databases on the organization (an access the API does not describe; "
            "rules.forbid_operations)")
    assert line in plan.out
    data = json.loads(cli("plan", "--format", "json").out)
    assert [(v["token_id"], v["rule"], v["access"], v["operation"], v["possibly"])
            for v in data["violations"]] == [
        (legacy, "forbid_operations", "delete_databases", "delete_database", True)]
    assert "can possibly delete\\_database" in cli("plan", "--format", "markdown").out

    report = json.loads(cli("report", "--format", "json").out)
    assert [(v["token_id"], v["possibly"]) for v in report["violations"]] == [(legacy, True)]
    assert line in cli("report").out
    assert "possibly forbidden delete\\_database via delete\\_databases (organization)" in cli(
        "report", "--format", "markdown").out
    html = cli("report", "--format", "html").out
    assert "possibly forbidden delete_database via delete_databases (organization)" in html


def test_who_can_delete_database_names_it_under_possibly(cli: Cli, legacy: str) -> None:
    text = cli("who-can", "delete_database")
    assert text.code == 0, text.both
    assert text.out.splitlines()[1:] == [
        "No live token can perform it by an access the API describes.",
        "Possibly, by an access the API does not describe (1 token):",
        f'  "legacy-admin" [id {legacy}, unmanaged]  via delete_databases on the organization',
    ]
    answer = json.loads(cli("who-can", "delete_database", "--database", "app-prod",
                            "--format", "json").out)
    assert answer == [{"id": legacy, "name": "legacy-admin", "key": None, "possibly": True,
                       "via": [{"access": "delete_databases", "database": None}]}]


def test_validate_flags_it_offline_at_the_accesss_line_and_column(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    write_config(workdir / "pstokens.yaml", RULES.replace(
        "    accesses:\n", "    accesses:\n      organization: [delete_databases]\n"))
    emulator.reset_stats()
    result = cli("validate")
    assert result.code == 1
    assert ('pstokens.yaml:7:22: token "ci-deploy" asks for delete_databases on the '
            "organization, which possibly allows delete_database (an access the API does not "
            "describe), forbidden by rules.forbid_operations") in result.err
    assert emulator.stats()["total"] == 0
