"""`rules.forbid_operations` offline: names checked against the table, and each access
that allows a forbidden operation refused at its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.config import parse_config
from pstokens.engine.rules.guardrails import Rule, check_config
from pstokens.errors import ConfigError
from pstokens.operations import TABLE_ENV
from pstokens.render.rules import config_problem

CONFIG = """\
organization: acme
rules:
  forbid_operations: [promote_branch, delete_database]
tokens:
  ci-deploy:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, connect_production_branch]
        app-staging: [delete_database, promote_branches]
"""


def test_each_access_that_allows_a_forbidden_operation_is_located() -> None:
    config = parse_config(CONFIG)
    assert config.rules is not None
    assert config.rules.forbid_operations == {"promote_branch", "delete_database"}
    found = [(v.line, v.column, v.access, v.operation) for v in check_config(config)]
    assert found == [
        (9, 33, "connect_production_branch", "promote_branch"),
        (10, 23, "delete_database", "delete_database"),
        (10, 40, "promote_branches", "promote_branch"),
    ]
    assert {v.rule for v in check_config(config)} == {Rule.FORBID_OPERATIONS}
    assert str(config_problem(check_config(config)[0])) == (
        'pstokens.yaml:9:33: token "ci-deploy" asks for connect_production_branch on '
        "database app-prod, which allows promote_branch, forbidden by "
        "rules.forbid_operations")


def test_a_config_that_allows_none_of_them_is_clean() -> None:
    text = CONFIG.replace(", connect_production_branch]", "]").replace(
        "app-staging: [delete_database, promote_branches]", "app-staging: [read_branch]")
    assert check_config(parse_config(text)) == ()


def test_a_misspelt_operation_gets_the_closest_name() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG.replace("[promote_branch,", "[promote_brnch,"))
    assert [str(p) for p in caught.value.problems] == [
        'pstokens.yaml:3:23: unknown operation "promote_brnch" (did you mean "promote_branch"?)']


def test_a_table_that_fails_to_load_is_a_located_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t.json").write_text("{")
    monkeypatch.setenv(TABLE_ENV, str(tmp_path / "t.json"))
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG)
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        f"pstokens.yaml:3:22: cannot load the operations table {tmp_path / 't.json'}")
