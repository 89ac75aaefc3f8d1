"""A file with many problems reports all of them at once, in file order."""

from __future__ import annotations

import pytest

from pstokens.config import parse_config
from pstokens.errors import ConfigError

MANY = """\
organization: acme
safety:
  max_delete_percent: 300
unmanaged: {policy: reprot}
tokens:
  ci-deploy:
    ttll: 90d
    rotate_after: 60x
    prevent_destroy: "yes"
    accesses:
      organization: [read_databases, read_branch]
      databases:
        app-prod: [read_brnch, read_databases, read_branch, read_branch]
  Bad_Key: {}
  ci-deploy: {}
"""


def test_every_problem_is_reported_in_file_order() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MANY)
    located = [(p.line, p.column, p.message) for p in caught.value.problems]
    assert [(line, column) for line, column, _ in located] == [
        (3, 23),
        (4, 21),
        (7, 5),
        (8, 19),
        (9, 22),
        (11, 38),
        (13, 20),
        (13, 32),
        (13, 61),
        (14, 3),
        (15, 3),
    ]
    messages = [message for _, _, message in located]
    assert "max_delete_percent must be a whole number from 0 to 100" in messages[0]
    assert 'did you mean "report"?' in messages[1]
    assert 'did you mean "ttl"?' in messages[2]
    assert 'bad duration "60x"' in messages[3]
    assert 'not the string "yes"' in messages[4]
    assert '"read_branch" is a database access' in messages[5]
    assert 'did you mean "read_branch"?' in messages[6]
    assert '"read_databases" is an organization access' in messages[7]
    assert "listed twice" in messages[8]
    assert 'bad token key "Bad_Key"' in messages[9]
    assert 'duplicate key "ci-deploy" in tokens (first at line 6' in messages[10]
    assert str(caught.value).startswith("11 problems in the configuration:\n")


def test_problems_on_one_line_are_ordered_by_column() -> None:
    text = "organization: acme\ntokens: {b: {ttl: 1x, rotate_after: 2y}, a: {ttl: 3z}}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    columns = [p.column for p in caught.value.problems]
    assert columns == sorted(columns)
    assert len(columns) == 3


def test_missing_parts_and_bad_parts_are_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("safety: {max_delete_percent: -1}\n")
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 3
    assert any("organization is required" in m for m in messages)
    assert any("tokens is required" in m for m in messages)
    assert any("not the number -1" in m for m in messages)
