"""Start-up loads only what a command needs: never the emulator or the adapters.

Each command runs in a fresh interpreter, which then reports the modules it
loaded; `plan` reads a real emulator over loopback (served from this process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator

from .conftest import config_text, key

# Runs `pstokens ARGS` in-process, then writes what was imported to $MODULES_OUT.
PROBE = """
import json, os, sys
from pstokens.cli.main import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = exc.code
with open(os.environ["MODULES_OUT"], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""
NEVER_FOR_EVERYDAY_COMMANDS = ("pstokens.emulator", "pstokens.adapters", "starlette", "uvicorn",
                               "mcp")
# Loaded for an s3:// state only: a local one never pays for them.
S3_ONLY = ("obstore", "pstokens.state.s3", "pstokens.state.s3errors")
NOT_FOR_VERSION = ("httpx", "pydantic", "yaml", "rich", "filelock", "pstokens.api",
                   "pstokens.engine")
# The API stack and everything that runs a plan: `--help`, `--version` and
# `validate` need none of it (importing it cost 0.5 s of a 0.7 s `--help`).
API_STACK = ("httpx", "httpcore", "pydantic", "pydantic_core", "anyio", "mcp", "starlette",
             "uvicorn", "rich", "deepdiff", "pstokens.api", "pstokens.emulator",
             "pstokens.adapters", "filelock", "pstokens.state.store", "pstokens.state.s3")
# `--help` and `--version` do not even read a config.
NOT_FOR_HELP = ("yaml", "filelock", "pstokens.config", "pstokens.engine", "pstokens.state",
                "pstokens.render")


def run_probe(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> set[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}
    out = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=tmp_path, capture_output=True, text=True,
        env={**clean, **(env or {}), "MODULES_OUT": str(out)}, timeout=120,
    )
    report = json.loads(out.read_text())
    assert report["code"] in (0, None), result.stdout + result.stderr
    return set(report["modules"])


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("args", [("--help",), ("plan", "--help"), ("validate",)],
                         ids=" ".join)
def test_help_and_validate_load_neither_emulator_nor_adapters(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "pstokens.yaml").write_text(config_text(key(i) for i in range(3)))
    assert loaded(run_probe(tmp_path, *args), NEVER_FOR_EVERYDAY_COMMANDS + S3_ONLY) == []


def test_plan_against_a_real_url_loads_neither_emulator_nor_adapters(tmp_path: Path) -> None:
    (tmp_path / "pstokens.yaml").write_text(config_text(key(i) for i in range(3)))
    with running_emulator(EmulatorSettings(), EmulatorStore()) as url:
        modules = run_probe(tmp_path, "plan", env={
            "PLANETSCALE_API_URL": url, "PLANETSCALE_API_KEY": "perf-test-key",
            "PSTOKENS_RATE_LIMIT": "0",
        })
    assert "pstokens.engine.planning.planner" in modules  # it did plan
    assert loaded(modules, NEVER_FOR_EVERYDAY_COMMANDS + S3_ONLY) == []


def test_version_loads_no_command_and_no_heavy_library(tmp_path: Path) -> None:
    modules = run_probe(tmp_path, "--version")
    assert loaded(modules, NOT_FOR_VERSION + NEVER_FOR_EVERYDAY_COMMANDS) == []


@pytest.mark.parametrize("args", [
    ("--help",), ("--version",), ("validate",), ("validate", "-c", "pstokens.yaml", "--help"),
    ("validate", "--format", "sarif"),
], ids=" ".join)
def test_help_version_and_validate_load_no_api_stack(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "pstokens.yaml").write_text(config_text(key(i) for i in range(3)))
    modules = run_probe(tmp_path, *args)
    assert loaded(modules, API_STACK) == []
    if args == ("validate",):
        assert "pstokens.config.schema" in modules  # it did validate
    if args[0].startswith("--"):
        assert loaded(modules, NOT_FOR_HELP) == []


def test_help_lists_every_command_with_the_summary_of_its_own_help() -> None:
    from pstokens.cli.main import COMMANDS

    unloaded = {name: COMMANDS.short_help(name, 60) for name in COMMANDS}
    assert unloaded == {name: COMMANDS[name].get_short_help_str(60) for name in COMMANDS}


def test_the_engine_loads_no_http_or_cli_stack() -> None:
    """The layer contract, at run time: the engine reaches the API through a
    protocol and its plain models, so importing it loads neither httpx nor click."""
    code = (
        "import sys, pstokens.engine.planning.planner, pstokens.engine.applying.apply, "
        "pstokens.engine.reading.fresh, "
        "pstokens.engine.planning.policy, pstokens.engine.inventory.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore', "
        "'click', 'anyio')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == "[]"
