"""The engine service's documented example runs as written, against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import API_KEY, Emulator, write_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "library" / "plan_and_apply.py"


def test_the_library_example_plans_applies_and_then_has_nothing_to_do(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "pstokens.yaml", (
        "organization: acme\ntokens:\n  ci:\n    accesses:\n"
        "      databases:\n        app: [read_branch]\n"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANETSCALE_")}
    env["PLANETSCALE_API_KEY"] = API_KEY
    args = [sys.executable, str(EXAMPLE), "--api-url", emulator.url, "-c", str(config),
            "--state", str(tmp_path / "state.json"), "--secrets-dir", str(tmp_path / "s")]

    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "+ ci" in first.stdout and "applied" in first.stdout
    assert "\x1b" not in first.stdout  # piped: the library renders plain text
    assert f"secret to dir {tmp_path / 's'}" in first.stdout  # the plan says where it goes
    assert [t["name"] for t in emulator.tokens()] == ["ci"]
    assert (tmp_path / "s" / "acme" / "ci.env").exists()

    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "No changes." in again.stdout


def test_the_python_docs_page_quotes_the_example_as_it_is() -> None:
    page = (EXAMPLE.parents[2] / "docs" / "python.md").read_text()
    quoted = page.split("```python\n")[2].split("```\n")[0]
    assert quoted == EXAMPLE.read_text()


def test_the_example_imports_only_from_the_front_door() -> None:
    imports = [line for line in EXAMPLE.read_text().splitlines()
               if line.startswith(("import ", "from ")) and "pstokens" in line]
    assert imports == ["from pstokens import ("]
