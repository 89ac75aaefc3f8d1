"""The operations table is read only when a command needs it: `validate` of a config
without forbid_operations never imports it, and one with it still loads no API stack."""

from __future__ import annotations

from pathlib import Path

from .conftest import config_text, key
from .test_startup_imports import API_STACK, loaded, run_probe


def test_validate_without_forbid_operations_does_not_import_the_table(tmp_path: Path) -> None:
    (tmp_path / "pstokens.yaml").write_text(config_text(key(i) for i in range(3)))
    modules = run_probe(tmp_path, "validate")
    assert "pstokens.config.schema" in modules
    assert loaded(modules, ("pstokens.operations",)) == []


def test_validate_with_forbid_operations_reads_the_table_and_no_api_stack(tmp_path: Path) -> None:
    text = config_text(key(i) for i in range(3)).replace(
        "tokens:", "rules:\n  forbid_operations: [delete_database]\ntokens:", 1)
    (tmp_path / "pstokens.yaml").write_text(text)
    modules = run_probe(tmp_path, "validate")
    assert "pstokens.operations" in modules
    assert loaded(modules, API_STACK) == []


def test_who_can_help_loads_nothing_a_help_does_not_need(tmp_path: Path) -> None:
    modules = run_probe(tmp_path, "who-can", "--help")
    assert loaded(modules, API_STACK) == []
    assert loaded(modules, ("pstokens.operations",)) == []
