"""A policy that fails while evaluating (a cycle, a function calling itself) as a
new user met it: a problem at the policy's file and package line with rego-cpp's
reason, from `validate`, `plan` and SARIF alike; `validate` of several files still
reports every file's problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

pytest.importorskip("regopy")

FAILING = {
    # Two rules defined by each other.
    "cycle": "package cycle\n\nimport rego.v1\n\na := b\n\nb := a\n\ndeny contains \"x\" if a\n",
    # A function defined by itself.
    "itself": "package itself\n\nimport rego.v1\n\nf(x) := f(x)\n\n"
              "deny contains \"x\" if f(1)\n",
    # Recursion 100,000 deep.
    "deep": "# counts down\npackage deep\n\nimport rego.v1\n\nf(n) := true if n == 0\n\n"
            "f(n) := f(n - 1) if n > 0\n\ndeny contains \"x\" if f(100000)\n",
}
LINES = {"cycle": 1, "itself": 1, "deep": 2}
CONFIG = """\
organization: acme
rules:
  policies: [policy/{name}.rego]
tokens:
  ci:
    ttl: 30d
    accesses:
      databases:
        app: [read_branch]
"""


@pytest.fixture
def configs(workdir: Path) -> list[Path]:
    (workdir / "policy").mkdir()
    found = []
    for name, text in FAILING.items():
        (workdir / "policy" / f"{name}.rego").write_text(text)
        found.append(write_config(workdir / f"{name}.yaml", CONFIG.format(name=name)))
    return found


def _expected(name: str) -> str:
    return (f"policy/{name}.rego:{LINES[name]}:1: the policy failed while evaluating the "
            "plan: \"Recursion detected in rule body: data.")


@pytest.mark.parametrize("name", FAILING)
def test_a_failing_policy_is_a_problem_at_its_file_in_validate_and_plan(
    cli: Cli, emulator: Emulator, configs: list[Path], name: str
) -> None:
    for command in (("validate",), ("plan",), ("plan", "--format", "sarif")):
        result = cli("-c", f"{name}.yaml", *command)
        assert result.code == 1, (command, result.both)
        assert _expected(name) in result.err, (command, result.err)
        assert "JSONDecodeError" not in result.both and "Traceback" not in result.both
        if "sarif" in command:  # a document all the same, the problem in it
            [found] = json.loads(result.out)["runs"][0]["results"]
            assert "Recursion detected in rule body" in found["message"]["text"]
    assert not [r for r in emulator.stats()["by_route"] if not r.startswith("GET ")]


def test_validate_sarif_gets_a_document_with_the_failing_policy(
    cli: Cli, configs: list[Path]
) -> None:
    result = cli("-c", "itself.yaml", "validate", "--format", "sarif")
    assert result.code == 1, result.both
    [found] = json.loads(result.out)["runs"][0]["results"]
    assert found["level"] == "error"
    assert found["message"]["text"].startswith(
        "the policy failed while evaluating the plan: \"Recursion detected")
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "policy/itself.rego"
    assert location["region"]["startLine"] == 1


def test_validate_of_several_files_reports_each_failing_policy(
    cli: Cli, configs: list[Path]
) -> None:
    result = cli("validate", *(p.name for p in configs))
    assert result.code == 1, result.both
    assert "3 problems" in result.err
    for name in FAILING:
        assert _expected(name) in result.err
