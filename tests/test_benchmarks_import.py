"""The benchmark scripts import: a rename in pstokens must not leave them broken
until someone next runs them (they are not run by the suite, only imported)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

SCRIPTS = sorted(p.stem for p in (Path(__file__).parents[1] / "benchmarks").glob("*.py")
                 if p.stem != "__init__")


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_benchmark_module_imports(name: str) -> None:
    importlib.import_module(f"benchmarks.{name}")
