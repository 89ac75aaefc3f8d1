"""The Action and the example workflows pass GitHub's schemas and zizmor's audit.

Users copy examples/github/*.yml as they are, and the Action guards
credentials: each is held to what GitHub itself accepts (its action and
workflow schemas, branding icon included) and to zizmor's audit, offline
(no medium or high finding: pinned actions, no persisted checkout
credentials, no template injection, least privilege).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "github").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d[\w.]*", re.M)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)


def uses_lines(path: Path) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^\s*-?\s*uses:\s*(.+)$", path.read_text(), re.M)]


def steps(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    if "runs" in data:
        found: list[dict[str, Any]] = data["runs"]["steps"]
        return found
    return [step for job in data["jobs"].values() for step in job["steps"]]


def test_the_examples_are_there() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"plan.yml", "apply.yml", "drift-check.yml"} <= names


def test_zizmor_finds_nothing_of_medium_or_high_severity() -> None:
    done = run(str(BIN / "zizmor"), "--offline", "--format", "json", "--min-severity", "medium",
               str(ACTION), *map(str, WORKFLOWS))
    assert done.returncode in (0, 11, 12, 13, 14), done.stderr  # 1x: findings, by severity
    findings = json.loads(done.stdout)
    described = [f"{f['ident']} ({f['determinations']['severity']}): "
                 f"{f['locations'][0]['symbolic']['annotation']} in "
                 f"{f['locations'][0]['symbolic']['key']}" for f in findings]
    assert described == []
    assert done.returncode == 0


def test_zizmor_audited_every_file() -> None:
    done = run(str(BIN / "zizmor"), "--offline", str(ACTION), *map(str, WORKFLOWS))
    for path in [ACTION, *WORKFLOWS]:
        assert f"completed {path.relative_to(ROOT)}" in done.stderr or \
               f"completed {path}" in done.stderr, done.stderr


@pytest.mark.parametrize(("schema", "paths"), [
    ("vendor.github-actions", [ACTION]),
    ("vendor.github-workflows", WORKFLOWS),
])
def test_github_schemas_accept_them(schema: str, paths: list[Path]) -> None:
    done = run(str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_branding_icon_is_one_github_draws() -> None:
    branding = yaml.safe_load(ACTION.read_text())["branding"]
    assert branding["icon"] in {"lock", "shield"}  # Feather's; `key` is not in GitHub's set


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_every_other_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    lines = [line for line in uses_lines(path) if not line.startswith("OWNER/pstokens@")]
    assert lines, "no action to check"
    for line in lines:
        assert PINNED.match(line), line


def test_the_pstokens_placeholder_is_pinned_the_same_way() -> None:
    ours = [line for path in WORKFLOWS for line in uses_lines(path)
            if line.startswith("OWNER/pstokens")]
    assert len(ours) >= 6  # validate and plan steps, apply, the drift check's SARIF
    for line in ours:
        assert re.match(r"OWNER/pstokens@[0-9a-f]{40} # vX\.Y\.Z", line), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_keeps_no_credentials_and_jobs_hold_their_own_permissions(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"], "each job names what it needs"
        assert "write-all" not in str(job["permissions"])
    checkouts = [s for s in steps(path) if s.get("uses", "").startswith("actions/checkout@")]
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_only_the_drift_check_may_write_code_scanning_alerts() -> None:
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            uploads = any("upload-sarif" in s.get("uses", "") for s in job["steps"])
            writes = job["permissions"].get("security-events") == "write"
            assert uploads == writes, (path.name, name)
    drift = yaml.safe_load((ROOT / "examples" / "github" / "drift-check.yml").read_text())
    assert any("codeql-action/upload-sarif@" in s.get("uses", "")
               for s in drift["jobs"]["drift"]["steps"])


def test_the_drift_check_runs_once_at_a_time_per_organization() -> None:
    drift = yaml.safe_load((ROOT / "examples" / "github" / "drift-check.yml").read_text())
    job = drift["jobs"]["drift"]
    assert job["concurrency"]["group"] == "pstokens-drift-${{ matrix.org }}"
    assert job["concurrency"]["cancel-in-progress"] is False  # a cancelled run leaves its lock


def _pins(paths: list[Path]) -> dict[str, set[str]]:
    """Action -> the `SHA # version` each of `paths` pins it at."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for line in uses_lines(path):
            action, _, pin = line.partition("@")
            found.setdefault(action, set()).add(pin.strip())
    return found


def test_every_workflow_pins_an_action_at_the_same_commit() -> None:
    mixed = {action: pins for action, pins in _pins(WORKFLOWS).items() if len(pins) > 1
             and action != "OWNER/pstokens"}
    assert mixed == {}


def test_the_docs_pin_upload_sarif_as_the_drift_check_does() -> None:
    docs = ROOT / "docs" / "ci-output.md"
    shown = [m.group(1) for m in re.finditer(r"uses:\s*(github/codeql-action/upload-sarif@.+)$",
                                             docs.read_text(), re.M)]
    assert shown, "docs/ci-output.md shows the upload step"
    for line in shown:
        assert PINNED.match(line), line
    assert {line.partition("@")[2] for line in shown} == \
        _pins(WORKFLOWS)["github/codeql-action/upload-sarif"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_running_pstokens_names_its_config(path: Path) -> None:
    for name, job in yaml.safe_load(path.read_text())["jobs"].items():
        if any(s.get("uses", "").startswith("OWNER/pstokens@") for s in job["steps"]):
            assert job.get("env", {}).get("PSTOKENS_CONFIG"), (path.name, name)
