"""Runs the `run:` steps of a GitHub Actions workflow here, as a runner would.

Steps that use the pstokens Action run the Action's own composite steps
(action.yml at the repository root), with its inputs; other actions
(checkout, setup-python, AWS credentials, artifacts) are skipped, their work
done by the test (the moto S3 variables stand for the assumed AWS role).
`${{ }}` expressions are resolved from a small context; an unknown one fails
the test, so a workflow cannot use something the test does not stand for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
# The examples' placeholder for the pstokens Action, pinned by commit as users pin it.
ACTION = "OWNER/pstokens@0000000000000000000000000000000000000000"
CONDITION = re.compile(r"steps\.([\w-]+)\.outputs\.([\w-]+) (==|!=) '([^']*)'")


@dataclass
class Step:
    name: str
    code: int
    out: str = ""
    err: str = ""


@dataclass
class Runner:
    workdir: Path
    env: dict[str, str]  # the machine's: API URL and key, AWS_* of the moto S3
    context: dict[str, str]  # matrix.org, vars.*, github.*
    ran: list[Step] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, text: str, inputs: dict[str, str] | None = None) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("secrets."):
                # The PlanetScale and AWS credentials come from the machine's env.
                return self.context.get(expr, "")
            if expr.startswith("inputs.") and inputs is not None:
                return inputs[expr.removeprefix("inputs.")]
            if expr.startswith("steps."):
                _, step_id, _, name = expr.split(".", 3)
                return self.outputs.get(step_id, {}).get(name, "")
            if expr not in self.context:
                raise AssertionError(f"the test does not stand for ${{{{ {expr} }}}}")
            return self.context[expr]

        return EXPRESSION.sub(one, text)

    def condition(self, step: dict[str, Any], failed: bool) -> bool:
        """A step's `if:`, as GitHub reads it: terms joined by `&&`, each `always()`,
        `!cancelled()` (nothing is cancelled here) or `steps.ID.outputs.X ==|!= 'v'`;
        without a status function, success() is implied."""
        test = str(step.get("if", "")).strip()
        test = test.removeprefix("${{").removesuffix("}}").strip()
        terms = [t.strip() for t in test.split("&&")] if test else []
        status = {"always()", "!cancelled()"}
        if not status & set(terms) and failed:
            return False
        for term in terms:
            if term in status:
                continue
            found = CONDITION.fullmatch(term)
            assert found, f"the test does not read this condition: {term}"
            value = self.outputs.get(found[1], {}).get(found[2], "")
            if (value == found[4]) != (found[3] == "=="):
                return False
        return True

    def run_job(self, workflow: dict[str, Any], job: str) -> list[Step]:
        spec = workflow["jobs"][job]
        job_env = {k: self.resolve(str(v)) for k, v in spec.get("env", {}).items()}
        failed = False
        for step in spec["steps"]:
            if not self.condition(step, failed):
                continue
            uses = step.get("uses", "")
            if uses == ACTION:
                result = self.run_action(step, job_env)
            elif uses:
                continue  # checkout, credentials, artifacts: done by the test
            else:
                env = {**job_env, **{k: self.resolve(str(v)) for k, v in
                                     step.get("env", {}).items()}}
                result = self.shell(step["name"], self.resolve(step["run"]), env)
            self.ran.append(result)
            failed = failed or result.code != 0
        return self.ran

    def run_action(self, step: dict[str, Any], job_env: dict[str, str]) -> Step:
        action = yaml.safe_load((ROOT / "action.yml").read_text())
        given = {k: self.resolve(str(v)) for k, v in step.get("with", {}).items()}
        unknown = set(given) - set(action["inputs"])
        assert not unknown, f"{step['name']}: the Action has no input {unknown}"
        inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
        inputs.update(given)
        # A composite action's steps see the env of the step that uses it.
        job_env = {**job_env, **{k: self.resolve(str(v)) for k, v in step.get("env", {}).items()}}
        outputs = self.workdir / f".github_output_{len(self.ran)}"
        outputs.write_text("")
        result = Step(step["name"], 0)
        for inner in action["runs"]["steps"]:
            if "uses" in inner or inner.get("name") == "Install pstokens":
                continue  # setup-python; pstokens is installed in this test's venv
            env = {**job_env, **{k: self.resolve(str(v), inputs) for k, v in
                                 inner.get("env", {}).items()},
                   "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(outputs)}
            cwd = self.workdir / self.resolve(inner.get("working-directory", "."), inputs)
            result = self.shell(step["name"], inner["run"], env, cwd)
            if result.code != 0:
                break
        if "id" in step:
            pairs = (line.split("=", 1) for line in outputs.read_text().splitlines() if line)
            self.outputs[step["id"]] = dict(pairs)
        return result

    def shell(self, name: str, script: str, env: dict[str, str], cwd: Path | None = None
              ) -> Step:
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd or self.workdir, env={**self.env, **env}, capture_output=True, text=True,
            timeout=120,
        )
        return Step(name, done.returncode, done.stdout, done.stderr)

    def step(self, name: str) -> Step:
        found = [s for s in self.ran if s.name == name]
        assert found, f"step {name!r} did not run: {[s.name for s in self.ran]}"
        return found[-1]


def machine_env(api_url: str, api_key: str, aws: dict[str, str], workdir: Path,
                bin_dir: Path) -> dict[str, str]:
    """A runner's environment: this venv's pstokens first on PATH, a fake `gh`."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PSTOKENS_", "PLANETSCALE_", "AWS_", "GITHUB_"))}
    return {
        **clean, **aws,
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                f"{os.environ['PATH']}",
        "PLANETSCALE_API_URL": api_url,
        "PLANETSCALE_API_KEY": api_key,
        "PSTOKENS_RATE_LIMIT": "0",
        "GITHUB_STEP_SUMMARY": str(workdir / "summary.md"),
        "GITHUB_ENV": str(workdir / "github_env"),
    }


FAKE_GH = """#!/usr/bin/env bash
# Stands for the GitHub CLI: records each call (and, for `secret set`, the GH_TOKEN it
# was given; it reads the secret and keeps it nowhere); lists the comment in $GH_EXISTING.
printf '%s\\n' "$*" >> "$GH_LOG"
case "$*" in
  *"--method"*) for arg in "$@"; do case "$arg" in body=*) printf '%s' "${arg#body=}" \
      > "$GH_BODY";; esac; done ;;
  "secret set "*) cat > /dev/null; printf 'GH_TOKEN=%s\\n' "${GH_TOKEN:-}" >> "$GH_LOG" ;;
  *) if [ -f "$GH_EXISTING" ]; then cat "$GH_EXISTING"; fi ;;
esac
"""


def fake_gh(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    return gh
