"""Microsoft's SARIF Multitool finds nothing at warning level or above in pstokens' logs.

It runs through `npx --offline`: only a copy already in npm's cache (`npx -y
@microsoft/sarif-multitool --help` puts one there), so the test never downloads;
without npx or the cached tool it is skipped. Its URI check (SARIF2006) is off,
as it would fetch the URIs in the log from the internet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import tests.render.test_sarif_rules as every
from pstokens.engine.inventory.escalation import Escalation, EscalationKind
from pstokens.engine.inventory.report import Report
from pstokens.engine.planning.plan import Plan
from pstokens.engine.rules.findings import PlanWarning, WarningKind
from pstokens.engine.rules.guardrails import Rule, Unused
from pstokens.errors import Problem
from pstokens.render.sarif import render_plan_sarif, render_problems_sarif, render_report_sarif

TOOL = ["npx", "--yes", "--offline", "@microsoft/sarif-multitool"]
NO_URI_FETCHES = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" />
  </Properties>
</Properties>
"""


def _multitool() -> list[str]:
    if shutil.which("npx") is None:
        pytest.skip("npx is not installed")
    probe = subprocess.run([*TOOL, "--version"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("the SARIF Multitool is not in npm's cache (npx -y @microsoft/sarif-multitool)")
    return TOOL


def _logs() -> dict[str, str]:
    """A log of each command, holding one finding of every type."""
    now, config = every.NOW, every.CONFIG
    violations = tuple(every._violation(rule) for rule in Rule)
    plan = Plan("acme", "l", 1, violations=violations,
                warnings=tuple(PlanWarning(kind, "ci", ("t1",), now) for kind in WarningKind),
                unused=(Unused("t1", "ci", "ci", now, now, 86400),))
    row = every._row("t1", "ci", now, violations=violations,
                     escalations=tuple(Escalation(k, "t1", "ci", "ci") for k in EscalationKind))
    return {
        "plan": render_plan_sarif(plan, config),
        "report": render_report_sarif(Report("acme", now, None, (row,), ()), config),
        "validate": render_problems_sarif("validate", [Problem("pstokens.yaml", 3, 4, "bad")],
                                          [Problem("pstokens.yaml", 4, 4, "careful")]),
    }


def test_the_multitool_finds_nothing_at_warning_level_or_above(tmp_path: Path) -> None:
    tool = _multitool()
    (tmp_path / "policy.xml").write_text(NO_URI_FETCHES)
    for command, text in _logs().items():
        (tmp_path / f"{command}.sarif").write_text(text)
    run = subprocess.run(
        [*tool, "validate", "plan.sarif", "report.sarif", "validate.sarif",
         "--output", "found.sarif", "--log", "ForceOverwrite", "--config", "policy.xml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    found = json.loads((tmp_path / "found.sarif").read_text())["runs"][0].get("results", [])
    serious = [f"{r['ruleId']}: {r['message']}" for r in found
               if r.get("level", "warning") in ("warning", "error")]
    assert serious == []
