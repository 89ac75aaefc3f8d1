"""The pre-commit hook `.pre-commit-hooks.yaml` offers: `pre-commit try-repo` runs
`pstokens-validate` on a project's changed configs, offline and without credentials;
a good config passes, a bad one fails with its FILE:LINE:COL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GOOD = ("organization: acme\ntokens:\n  ci:\n    accesses:\n      databases:\n"
        "        app: [read_branch]\n")
BAD = "organization: acme\ntokens:\n  ci:\n    ttl: 90\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                   cwd=cwd, check=True, capture_output=True, timeout=60)


def test_the_hook_passes_a_good_config_and_fails_a_bad_one_at_its_line(tmp_path: Path) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "pstokens-validate" and hook["language"] == "python"
    # The shipped hook installs pstokens from the repository (`language: python`), which
    # needs the package index; offline, the test runs the same hook with the pstokens
    # on PATH (`language: system`).
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump([hook | {"language": "system"}]))
    git(hooks, "init", "-q")
    git(hooks, "add", ".")
    git(hooks, "commit", "-qm", "hooks")
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    (project / "pstokens.yaml").write_text(GOOD)
    (project / "deploy" / "pstokens-prod.yml").write_text(BAD)
    (project / "other.yaml").write_text(BAD)  # not a pstokens config: not checked
    git(project, "init", "-q")
    git(project, "add", ".")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "pre-commit"), "try-repo", str(hooks), "pstokens-validate",
             "--files", *files], cwd=project, env=env, capture_output=True, text=True,
            timeout=120, check=False)

    good = run("pstokens.yaml", "other.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    bad = run("pstokens.yaml", "deploy/pstokens-prod.yml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "deploy/pstokens-prod.yml:4:10: " in bad.stdout and "other.yaml" not in bad.stdout
