"""`validate --format sarif A B C` as the pre-commit hook runs it: one SARIF log with
one run holding every file's results, each at its own file (not a log per file,
which no JSON reader takes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pstokens.render.formats import FINDINGS
from tests.e2e.conftest import Cli, write_config
from tests.sarif_schema import valid_sarif

pytest.importorskip("regopy")

CLEAN = "organization: acme\ntokens:\n  ci:\n    ttl: 30d\n"
MISSPELT = "organization: acme\ntokens:\n  ci:\n    tll: 30d\n"
TOO_LONG = "organization: acme\nrules:\n  max_ttl: 30d\ntokens:\n  ci:\n    ttl: 60d\n"
FAILING_POLICY = ("organization: acme\nrules:\n  policies: [itself.rego]\n"
                  "tokens:\n  ci:\n    ttl: 30d\n")
ITSELF = "package itself\n\nimport rego.v1\n\nf(x) := f(x)\n\ndeny contains \"x\" if f(1)\n"


def _where(result: dict[str, Any]) -> str:
    uri: str = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return uri


def test_validate_of_several_files_prints_one_sarif_log_with_every_files_results(
    cli: Cli, workdir: Path
) -> None:
    (workdir / "itself.rego").write_text(ITSELF)
    names = {"clean.yaml": CLEAN, "misspelt.yaml": MISSPELT, "too-long.yaml": TOO_LONG,
             "failing.yaml": FAILING_POLICY}
    for name, body in names.items():
        write_config(workdir / name, body)

    result = cli("validate", "--format", "sarif", *names)

    assert result.code == 1, result.both
    assert "Traceback" not in result.both
    log = valid_sarif(result.out)  # one JSON document, a valid SARIF 2.1.0 log
    [run] = log["runs"]
    found = sorted((_where(r), r["ruleId"], r["level"]) for r in run["results"])
    # The policy that fails to evaluate is a problem at the policy's own file.
    assert found == [("itself.rego", "config", "error"),
                     ("misspelt.yaml", "config", "error"),
                     ("too-long.yaml", "max_ttl", "error")]
    failing = next(r for r in run["results"] if _where(r) == "itself.rego")
    assert "the policy failed while evaluating the plan" in failing["message"]["text"]


def test_validate_of_several_clean_files_prints_one_empty_log(cli: Cli, workdir: Path) -> None:
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        write_config(workdir / name, CLEAN)
    result = cli("validate", "--format", "sarif", "a.yaml", "b.yaml", "c.yaml")
    assert result.code == 0, result.both
    assert [run["results"] for run in valid_sarif(result.out)["runs"]] == [[]]


@pytest.mark.parametrize("fmt", [f for f in FINDINGS.names if FINDINGS[f].document])
def test_every_document_format_of_validate_is_one_document_for_several_files(
    cli: Cli, workdir: Path, fmt: str
) -> None:
    write_config(workdir / "a.yaml", CLEAN)
    write_config(workdir / "b.yaml", MISSPELT)
    result = cli("validate", "--format", fmt, "a.yaml", "b.yaml")
    assert result.code == 1
    json.loads(result.out)  # not "Extra data"
