"""The packaged operations table: its size and source pinned, read lazily, refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pstokens.accesses import ALL_ACCESSES
from pstokens.operations import (
    TABLE_ENV,
    TABLE_FILE,
    TableError,
    is_destructive,
    operations_table,
    parse_table,
)

SHARED = Path(__file__).parents[2] / "pstokens" / "operations" / TABLE_FILE


def test_the_packaged_table_has_193_operations_173_with_accesses_from_the_2026_08_description(
) -> None:
    table = operations_table()
    assert len(table.operations) == 193
    assert table.with_accesses == 173
    assert "planetscale/terraform-provider-planetscale" in table.source
    assert "3f17319" in table.source and "2026-08-18" in table.source
    assert table.operations["promote_branch"].method == "POST"
    assert "connect_production_branch" in table.operations["promote_branch"].accesses


def test_every_access_the_table_names_is_one_pstokens_knows() -> None:
    assert set(operations_table().by_access) <= ALL_ACCESSES


def test_accesses_the_table_lists_for_no_operation_are_not_described_not_empty() -> None:
    table = operations_table()
    assert not table.described("delete_databases")
    assert not table.described("read_metrics_endpoints")
    assert table.described("create_databases")
    assert table.allowed_by(["create_databases"]) == {"create_database"}


@pytest.mark.parametrize(("method", "operation", "expected"), [
    ("DELETE", "delete_branch", True),
    ("POST", "promote_branch", True),
    ("POST", "demote_branch", True),
    ("POST", "force_cutover_deploy_request", True),
    ("POST", "complete_revert", True),
    ("POST", "restore_backup_somewhere", True),
    ("DELETE", "cancel_bouncer_resize_request", True),
    ("POST", "create_branch", False),
    ("GET", "get_branch", False),
])
def test_destructive_is_a_delete_or_a_promote_demote_restore_cutover_revert(
    method: str, operation: str, expected: bool
) -> None:
    assert is_destructive(method, operation) is expected


def test_the_table_named_by_the_environment_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = {"source": "test", "operations": [
        {"operation": "only_one", "method": "GET", "path": "/v1/x",
         "service_token_accesses_any_of": ["read_branch"]}]}
    (tmp_path / "t.json").write_text(json.dumps(small))
    monkeypatch.setenv(TABLE_ENV, str(tmp_path / "t.json"))
    assert list(operations_table().operations) == ["only_one"]


@pytest.mark.parametrize("content", ["{not json", '{"operations": 3}', "[]",
                                     '{"operations": [{"operation": "x"}]}'])
def test_a_table_that_fails_to_load_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    (tmp_path / "bad.json").write_text(content)
    monkeypatch.setenv(TABLE_ENV, str(tmp_path / "bad.json"))
    with pytest.raises(TableError) as caught:
        operations_table()
    assert caught.value.message.startswith(f"cannot load the operations table {tmp_path}")
    assert "\n" not in caught.value.message


def test_a_missing_table_file_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TABLE_ENV, str(tmp_path / "absent.json"))
    with pytest.raises(TableError, match="No such file"):
        operations_table()


def test_parse_refuses_accesses_that_are_not_a_list_of_names() -> None:
    with pytest.raises(ValueError, match="bad accesses"):
        parse_table({"operations": [{"operation": "x", "method": "GET", "path": "/",
                                     "service_token_accesses_any_of": "read_branch"}]})


def test_the_wheel_ships_the_table() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"pstokens.operations" = ["*.json"]' in pyproject
    assert SHARED.exists()
