"""The Action's scripts: the subcommand behind global options, and one install a job.

A plan saves its JSON plan and Markdown (the job summary) whatever global
options come first; a global option's value is never taken for the
subcommand, and the script knows exactly the global options that take one.
pstokens is installed once a job, with nothing written to GITHUB_ENV.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from pstokens.cli.main import cli
from tests import plan_documents
from tests.e2e.conftest import API_KEY, Emulator
from tests.e2e.workflow_runner import ACTION, ROOT, Runner, machine_env

CONFIG = """\
organization: acme
unmanaged:
  policy: ignore
tokens:
  ci-deploy:
    accesses:
      organization: [read_databases]
"""


def run_action(tmp_path: Path, emulator: Emulator, command: str) -> Runner:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pstokens.yaml").write_text(CONFIG)
    (repo / "plan").write_text(CONFIG)  # a config file named like the subcommand
    env = machine_env(emulator.url, API_KEY, {}, repo, tmp_path / "bin")
    runner = Runner(repo, env, {})
    workflow: dict[str, Any] = {"jobs": {"job": {"steps": [
        {"name": "pstokens", "id": "run", "uses": ACTION, "with": {"command": command}},
    ]}}}
    runner.run_job(workflow, "job")
    return runner


@pytest.mark.parametrize("command", [
    "plan --detailed-exitcode",
    "--no-color plan --detailed-exitcode",
    "--lock-timeout 5 --no-color plan --detailed-exitcode",
    "-c pstokens.yaml --org acme plan --detailed-exitcode",
    "--rate-limit=0 --debug plan --detailed-exitcode",
])
def test_a_plan_behind_global_options_saves_its_plan_and_summary(
    tmp_path: Path, emulator: Emulator, command: str
) -> None:
    run = run_action(tmp_path, emulator, command)
    step = run.step("pstokens")
    assert step.code == 0, step.err
    outputs = run.outputs["run"]
    assert outputs["exitcode"] == "2"  # one token to create
    plan_json = Path(outputs["plan-json"])
    assert plan_json == tmp_path / "repo" / "pstokens-plan.json"
    assert json.loads(plan_json.read_text())["changes"][0]["action"] == "create"
    plan_documents.check(json.loads(plan_json.read_text()), "the Action's plan-json")
    assert "**Plan: 1 to create" in Path(outputs["plan-markdown"]).read_text()
    assert "**Plan: 1 to create" in (tmp_path / "repo" / "summary.md").read_text()


def test_a_global_option_value_is_not_taken_for_the_subcommand(
    tmp_path: Path, emulator: Emulator
) -> None:
    run = run_action(tmp_path, emulator, "-c plan validate")  # config file "plan"
    assert run.step("pstokens").code == 0, run.step("pstokens").err
    assert run.outputs["run"] == {"exitcode": "0", "plan-json": "", "plan-markdown": ""}
    assert not (tmp_path / "repo" / "pstokens-plan.json").exists()


def test_the_script_skips_the_value_of_exactly_the_global_options_that_take_one() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s["run"] for s in action["runs"]["steps"] if s.get("id") == "run")
    [pattern] = re.findall(r"^\s*(-[^)\n]*)\)\s*\n\s*skip_value=1", script, re.M)
    in_script = set(pattern.split("|"))
    taking_values = {
        opt for param in cli.params
        if isinstance(param, click.Option) and not param.is_flag
        for opt in param.opts
    }
    assert in_script == taking_values


def test_the_action_installs_pstokens_once_a_job_without_touching_github_env(
    tmp_path: Path,
) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s["run"] for s in action["runs"]["steps"] if s.get("name") == "Install pstokens")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "python.log"
    fake = bin_dir / "python"  # stands for setup-python's: records each pip install
    fake.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    fake.chmod(0o755)
    github_env = tmp_path / "github_env"
    (tmp_path / "runner-temp").mkdir()

    def install(action_path: str, extras: str = "") -> int:
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path / "runner-temp"),
               "GITHUB_ACTION_PATH": action_path, "GITHUB_ENV": str(github_env),
               "PSTOKENS_EXTRAS": extras}
        return subprocess.run(["bash", "-eo", "pipefail", "-c", script], env=env,
                              capture_output=True).returncode

    assert install("/actions/pstokens/a") == 0
    assert install("/actions/pstokens/a") == 0  # the same Action again in this job
    assert install("/actions/pstokens/b") == 0  # another checkout of it
    assert install("/actions/pstokens/b", "policy") == 0  # with the Rego extra
    assert install("/actions/pstokens/b", "policy --index-url=http://evil") == 1
    assert log.read_text().splitlines() == [
        "-m pip install --quiet /actions/pstokens/a",
        "-m pip install --quiet /actions/pstokens/b",
        "-m pip install --quiet /actions/pstokens/b[policy]",
    ]
    assert not github_env.exists()  # later steps see no variable of the Action's


def test_the_action_offers_every_extra_pstokens_declares() -> None:
    """`extras: policy` is what a config with `rules.policies` needs in CI."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert "policy" in action["inputs"]["extras"]["description"]
