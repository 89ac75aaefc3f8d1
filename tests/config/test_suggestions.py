"""Misspelt access names get the closest real name, at the level it belongs to."""

from __future__ import annotations

import pytest

from pstokens.config import parse_config
from pstokens.errors import ConfigError


def _message(level: str, name: str) -> str:
    accesses = "{organization: [X]}" if level == "organization" else "{databases: {app: [X]}}"
    text = "organization: acme\ntokens:\n  ci:\n    accesses: " + accesses.replace("X", name)
    with pytest.raises(ConfigError) as caught:
        parse_config(text + "\n")
    (problem,) = caught.value.problems
    return problem.message


@pytest.mark.parametrize(
    ("level", "name", "expected"),
    [
        ("databases", "read_brnch", '(did you mean "read_branch"?)'),
        ("organization", "read_databse", '(did you mean "read_databases"?)'),
        ("databases", "read_databse", '(did you mean "read_database"?)'),
        ("organization", "write_service_token", '(did you mean "write_service_tokens"?)'),
    ],
)
def test_suggestion_from_the_same_level(level: str, name: str, expected: str) -> None:
    assert _message(level, name) == f'unknown access "{name}" {expected}'


@pytest.mark.parametrize(
    ("level", "name", "expected"),
    [
        ("organization", "read_brnch", '(did you mean "read_branch"? it is a database access)'),
        (
            "databases",
            "write_service_token",
            '(did you mean "write_service_tokens"? it is an organization access)',
        ),
    ],
)
def test_clearly_closer_name_of_the_other_level_is_suggested_and_flagged(
    level: str, name: str, expected: str
) -> None:
    assert _message(level, name) == f'unknown access "{name}" {expected}'


def test_no_suggestion_points_at_the_switch_for_new_names() -> None:
    assert "allow_unknown_accesses: true" in _message("databases", "zzzzzz")
