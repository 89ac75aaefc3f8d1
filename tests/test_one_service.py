"""Outside the engine service, no module takes the state lock or writes state.

Every stateful operation (plan, apply, import, export --adopt, state rm, mv,
push and unlock, exec's leases, the adapters' guarded writes) runs through the
engine service, so every caller (CLI, REST, MCP, library) gets the same lock
order and guards. This test reads the source (AST) of every pstokens module
and fails when one outside `ALLOWED` touches a state store's writing or
locking members (`save`, `locked`, `unlock`, as a call or handed on, as
`asyncio.to_thread(store.save, ...)` does) or takes the lock through the
engine's own helpers (`hold_lock`, `StateLocks`). The allowed set, and why:

- `pstokens/state/`: the stores themselves (a file, an S3 object);
- `engine/applying/stateedits.py`: the engine service's lock (`Workspace.locked`,
  which plan and apply take) and its state edits (import, export --adopt,
  state rm, mv, push, unlock);
- `engine/applying/locks.py`: the lock held off the event loop (`hold_lock`,
  the adapters' shared `StateLocks`);
- `engine/applying/statewriter.py`: apply's writes, in step with its calls;
- `engine/applying/writeguard.py`: the adapters' writes, under `StateLocks`;
- `engine/leases/leasebook.py`: exec's lease writes, each under the lock.

`pstokens/emulator/` is the fake PlanetScale API: its `save` and `locked` are
its own data file's, and it imports no state store (checked below).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pstokens"
ALLOWED = {
    "pstokens/engine/applying/stateedits.py",
    "pstokens/engine/applying/locks.py",
    "pstokens/engine/applying/statewriter.py",
    "pstokens/engine/applying/writeguard.py",
    "pstokens/engine/leases/leasebook.py",
}
ALLOWED_PACKAGES = ("pstokens/state/",)
OWN_DATA = "pstokens/emulator/"  # the fake API's data file, not pstokens' state
STORE_WRITES = {"save", "locked", "unlock", "force_save"}  # a store's writing members
LOCK_TAKERS = {"hold_lock", "StateLocks", "Hold"}  # the engine's lock helpers


def state_touches(source: str) -> list[str]:
    """`line: what` for each place `source` writes or locks state."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in STORE_WRITES:
            if isinstance(node.ctx, ast.Load):
                found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in LOCK_TAKERS:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in LOCK_TAKERS:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.extend(f"{node.lineno}: import {a.name}" for a in node.names
                         if a.name in LOCK_TAKERS)
    return found


def _modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py"))


def _outside(name: str) -> bool:
    return name not in ALLOWED and not name.startswith((*ALLOWED_PACKAGES, OWN_DATA))


@pytest.mark.parametrize("name", [m for m in _modules() if _outside(m)])
def test_no_module_outside_the_engine_service_writes_or_locks_state(name: str) -> None:
    touches = state_touches((ROOT / name).read_text("utf-8"))
    assert touches == [], (
        f"{name} writes or locks state itself ({', '.join(touches)}): do it through the "
        "engine service (pstokens.engine.run.Workspace and engine/applying/stateedits.py)")


def test_every_allowed_module_still_writes_or_locks_state() -> None:
    """The allowed set says what is true: an entry that no longer touches state goes."""
    idle = sorted(name for name in ALLOWED if not state_touches((ROOT / name).read_text("utf-8")))
    assert idle == []


def test_the_emulator_imports_no_state_store() -> None:
    """Its `save` and `locked` are its own data file's, never pstokens' state."""
    for path in (ROOT / OWN_DATA).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("pstokens.state") for n in names), \
                f"{path.relative_to(ROOT)} imports {names}"


@pytest.mark.parametrize("line", [
    "store.save(state)",
    "context.store.locked(5)",
    "asyncio.to_thread(store.save, snapshot)",
    "store.unlock(lock_id)",
    "from pstokens.engine.applying.locks import hold_lock",
    "locks = StateLocks(stores)",
])
def test_the_check_finds_a_write_or_a_lock(line: str) -> None:
    assert state_touches(line) != []


def test_the_check_leaves_reads_alone() -> None:
    assert state_touches("state = store.load(org)\nif store.exists():\n    pass\n") == []
