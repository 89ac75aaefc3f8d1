"""engine/'s layout on disk says what is pure and what acts, and stays true.

`lint-imports` holds the layers (tests/test_quality.py runs it); this test reads
the pure sub-packages' own source, so a reader can trust the folder names: a
module there imports nothing that acts and opens nothing itself.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "pstokens" / "engine"
PURE = ("rules", "planning", "inventory")
ACTING = ("reading", "applying", "leases")
# What acts: the engine's acting parts and service, the API, stores, sinks, processes.
DOES_IO = (
    *(f"pstokens.engine.{name}" for name in ACTING),
    "pstokens.engine.run", "pstokens.api", "pstokens.state.base", "pstokens.state.store",
    "pstokens.state.s3", "pstokens.delivery", "pstokens.notify", "pstokens.fileio",
    "pstokens.config.load", "asyncio", "subprocess", "socket", "shutil", "httpx", "click",
)
OPENS = {"open", "read_text", "write_text", "read_bytes", "write_bytes"}


def _pure_modules() -> list[Path]:
    return sorted(path for name in PURE for path in (ENGINE / name).rglob("*.py"))


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_engine_holds_only_its_sub_packages_and_the_service() -> None:
    # run.py is the service; open.py opens it from paths (the adapters' way in).
    loose = sorted(p.name for p in ENGINE.glob("*.py")
                   if p.name not in {"__init__.py", "run.py", "open.py"})
    packages = sorted(p.name for p in ENGINE.iterdir() if (p / "__init__.py").exists())
    assert loose == []
    assert packages == sorted(PURE + ACTING)


@pytest.mark.parametrize("path", _pure_modules(), ids=lambda p: str(p.relative_to(ENGINE)))
def test_a_pure_module_imports_nothing_that_acts_and_opens_nothing(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    acting = sorted(name for name in _imports(tree)
                    if any(name == bad or name.startswith(bad + ".") for bad in DOES_IO))
    assert acting == [], f"{path.relative_to(ROOT)} imports what acts: {acting}"
    calls = sorted({node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                    for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute | ast.Name)} & OPENS)
    assert calls == [], f"{path.relative_to(ROOT)} opens files: {calls}"


def test_every_sub_package_says_whether_it_is_pure_or_acts() -> None:
    for name in PURE + ACTING:
        doc = ast.get_docstring(ast.parse((ENGINE / name / "__init__.py").read_text("utf-8")))
        assert doc is not None and doc.startswith("Pure:" if name in PURE else "Acts:"), name


def test_the_import_contracts_name_the_pure_and_acting_parts() -> None:
    """lint-imports checks these contracts; they must keep naming the real layout."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))[
        "tool"]["importlinter"]["contracts"]
    engine = next(c for c in contracts if c.get("containers") == ["pstokens.engine"])
    assert engine["type"] == "layers"
    assert engine["layers"] == ["open", "run", "leases", "applying", "reading",
                                "planning | inventory", "rules"]
    pure = next(c for c in contracts
                if set(c.get("source_modules", ())) == {f"pstokens.engine.{n}" for n in PURE})
    assert {f"pstokens.engine.{n}" for n in ACTING} <= set(pure["forbidden_modules"])
    assert not pure.get("allow_indirect_imports", False)
