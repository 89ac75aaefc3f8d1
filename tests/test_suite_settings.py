"""The suite's own settings: what CI runs is reproducible and leaves the tree clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, untracked

PROBE = ("import tests.conftest; from hypothesis import settings; "
         "print(settings.default.derandomize, settings.default.database)")


def hypothesis_defaults(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip()


def test_with_ci_set_hypothesis_is_derandomized_and_keeps_no_example_database() -> None:
    assert hypothesis_defaults(CI="true") == "True None"
    local = hypothesis_defaults()
    assert local.startswith("False ") and local != "False None"  # a developer keeps both


def test_untracked_lists_a_new_file_in_the_work_tree(tmp_path: Path) -> None:
    """The check behind the run's 'the tests left untracked files' failure."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / ".gitignore").write_text(".hypothesis/\n")
    assert untracked(tmp_path) == {".gitignore"}
    (tmp_path / ".schemathesis").mkdir()
    (tmp_path / ".schemathesis" / "report.json").write_text("{}")
    (tmp_path / ".hypothesis").mkdir()
    (tmp_path / ".hypothesis" / "db").write_text("x")
    assert untracked(tmp_path) == {".gitignore", ".schemathesis/report.json"}
    assert untracked(tmp_path / "nowhere") is None
