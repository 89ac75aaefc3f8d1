"""examples/github/deploy.yml: its steps run here against the emulator, and its YAML
gives the job nothing but a read of the repository."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.conftest import API_KEY, Emulator
from tests.e2e.workflow_runner import ACTION, ROOT, Runner, fake_gh, machine_env

WORKFLOW = ROOT / "examples" / "github" / "deploy.yml"
CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch, create_deploy_request]
"""
DEPLOY = """#!/usr/bin/env bash
# Stands for a deploy: notes which token it was given and checks it works.
set -eu
echo "$PLANETSCALE_SERVICE_TOKEN_ID $PLANETSCALE_ORG ${PLANETSCALE_API_KEY:-none}" > deployed
python -c 'import os, httpx; e = os.environ; httpx.get(e["PLANETSCALE_API_URL"] + \
  "/organizations", headers={"Authorization": e["PLANETSCALE_SERVICE_TOKEN_ID"] + ":" + \
  e["PLANETSCALE_SERVICE_TOKEN"]}).raise_for_status()'
"""


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def test_the_deploy_job_runs_with_a_lease_and_leaves_none(
    tmp_path: Path, emulator: Emulator
) -> None:
    (tmp_path / "pstokens.yaml").write_text(CONFIG)
    (tmp_path / "scripts").mkdir()
    deploy = tmp_path / "scripts" / "deploy.sh"
    deploy.write_text(DEPLOY)
    deploy.chmod(0o755)
    bin_dir = tmp_path.parent / f"{tmp_path.name}-bin"
    fake_gh(bin_dir)
    env = machine_env(emulator.url, API_KEY, {}, tmp_path, bin_dir)
    steps = Runner(tmp_path, env, {}).run_job(load(), "deploy")
    assert [s.code for s in steps] == [0], [s.err for s in steps]
    token_id, org, api_key = (tmp_path / "deployed").read_text().split()
    assert (org, api_key) == ("acme", "none")  # the lease's credentials, not the job's
    assert token_id not in {t["id"] for t in emulator.tokens()}  # gone with the job
    assert emulator.tokens() == []


def test_the_deploy_job_holds_no_secret_but_the_managing_token_and_may_only_read() -> None:
    workflow = load()
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    text = WORKFLOW.read_text()
    assert set(re.findall(r"secrets\.(\w+)", text)) == {
        "PLANETSCALE_SERVICE_TOKEN_ID", "PLANETSCALE_SERVICE_TOKEN"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and len(
        checkout["uses"].split("@")[1]) == 40
    assert checkout["with"]["persist-credentials"] is False
    exec_step = next(s for s in job["steps"] if s.get("uses") == ACTION)
    assert exec_step["with"]["command"].startswith("exec ci-deploy --ttl ")
