"""The pre-commit hook `.pre-commit-hooks.yaml` offers, installed as its users get it:
`pre-commit try-repo` on this repository builds the hook's virtualenv (`language:
python`: `pip install .` of the repository) and runs `pstokens-validate` on a project's
changed configs, offline and without credentials; a good config is valid, a bad one
fails with its FILE:LINE:COL, a YAML file not named like a config is not read, and a
changed Rego policy has the configs naming it checked.

Offline, pip takes pstokens' build backend and dependencies from a folder of wheels
repacked from this environment (tests/wheelhouse.py) and never asks an index
(`PIP_NO_INDEX`); where the machine allows it, the whole run is in a network
namespace of its own, which has no network at all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests import wheelhouse

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GOOD = ("organization: acme\ntokens:\n  ci:\n    accesses:\n      databases:\n"
        "        app: [read_branch]\n")
BAD = "organization: acme\ntokens:\n  ci:\n    ttl: 90\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                   cwd=cwd, check=True, capture_output=True, timeout=60)


def no_network() -> list[str]:
    """A prefix running a command without any network, where this machine can."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=30,
                           check=False)
    return [unshare, "-rn"] if probe.returncode == 0 else []


def test_the_shipped_hook_installs_offline_passes_a_good_config_and_fails_a_bad_one(
        tmp_path: Path) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "pstokens-validate" and hook["language"] == "python"
    wheels = wheelhouse.build(ROOT, tmp_path / "wheels")
    assert any(w.name.startswith("setuptools-") for w in wheels)  # the build backend
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    (project / "pstokens.yaml").write_text(GOOD)
    (project / "deploy" / "pstokens-prod.yml").write_text(BAD)
    (project / "other.yaml").write_text(BAD)  # not a pstokens config: not checked
    # A commit that changes only a policy: the config naming it is checked. The hook's
    # environment has no regopy (`additional_dependencies` would add it), which the
    # check of that config says at its `policies:`.
    (project / "policy").mkdir()
    (project / "policy" / "ttl.rego").write_text(
        (ROOT / "examples" / "policy" / "ttl.rego").read_text())
    (project / "pstokens-policed.yaml").write_text(
        "organization: acme\nrules:\n  policies: [policy/ttl.rego]\ntokens: {}\n")
    git(project, "init", "-q")
    git(project, "add", ".")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PSTOKENS_", "PLANETSCALE_", "PIP_", "VIRTUALENV_"))}
    env |= {"PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1",
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "wheels"),
            "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp_path / "virtualenv")}

    # try-repo installs the hook's environment anew on each run (in a store of its own),
    # so one run takes all three files: `pstokens validate` says each config it read is
    # valid, or where it is not.
    done = subprocess.run(
        [*no_network(), str(BIN / "pre-commit"), "try-repo", str(ROOT), "pstokens-validate",
         "--files", "pstokens.yaml", "other.yaml", "deploy/pstokens-prod.yml",
         "policy/ttl.rego"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Installing environment" in done.stdout, done.stdout
    assert "pstokens.yaml: valid (1 token, organization acme)" in done.stdout, done.stdout
    assert "deploy/pstokens-prod.yml:4:10: bad duration" in done.stdout
    assert "other.yaml" not in done.stdout
    assert ("pstokens-policed.yaml:3:14: rules.policies needs the Rego evaluator regopy"
            in done.stdout), done.stdout


def test_the_docs_local_hook_is_the_shipped_hook_on_path() -> None:
    """docs/schemas.md's `repo: local` fallback runs what the shipped hook runs."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    page = (ROOT / "docs" / "schemas.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", page, re.DOTALL)]
    [local] = [b["repos"][0]["hooks"][0] for b in blocks
               if isinstance(b, dict) and b.get("repos", [{}])[0].get("repo") == "local"]
    assert local["language"] == "system"
    assert {k: local[k] for k in ("id", "name", "entry", "files")} == {
        k: hook[k] for k in ("id", "name", "entry", "files")}
