"""The suite's plan check (tests/plan_documents.py) is on, and fails a test whose
plan does not fit the schema: shown by running pytest on a test that writes a good
plan and one that writes a broken one, through pstokens' own writers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import pstokens.adapters.planning
import pstokens.cli.commands_plan
import pstokens.render.json
from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.engine.rules.findings import UnmanagedToken
from pstokens.render.json import plan_document, render_saved
from pstokens.schemas import generate
from tests import plan_documents

ROOT = Path(__file__).resolve().parents[1]

INNER = '''
from pstokens.engine.planning.plan import Plan
from pstokens.engine.rules.findings import UnmanagedToken
from pstokens.render.json import plan_document, render_saved


def test_a_good_plan() -> None:
    plan = Plan("acme", "lineage", 1, unmanaged=(UnmanagedToken("tok1", "stranger"),))
    plan_document(plan)
    render_saved(plan)


def test_a_saved_plan_with_a_wrong_finding() -> None:
    render_saved(Plan("acme", "lineage", 1, unmanaged=(UnmanagedToken(7, None),)))
'''


def good_plan() -> Plan:
    return Plan("acme", "lin", 3, changes=(
        Change(Action.CREATE, "ci", ttl=3600), Change(Action.GRANT, "ci", database="app",
                                                        accesses=("read_branch",),
                                                        allows=("get_branch",))),
        unmanaged=(UnmanagedToken("tok1", None),))


def test_the_writers_are_checked_wherever_pstokens_calls_them() -> None:
    for module, name in [(pstokens.render.json, "plan_document"),
                         (pstokens.render.json, "render_saved"),
                         (pstokens.cli.commands_plan, "render_saved"),
                         (pstokens.adapters.planning, "plan_document")]:
        assert getattr(getattr(module, name), "__wrapped__", None) is not None, (module, name)


def test_a_test_writing_a_plan_the_schema_refuses_fails(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ("tests.plan_documents",)\n')
    (tmp_path / "test_inner.py").write_text(INNER)
    env = os.environ | {"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio",
         "-p", "no:schemathesis", "-W", "error", str(tmp_path)], cwd=tmp_path, env=env,
        capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 passed" in done.stdout, done.stdout
    assert "FAILED test_inner.py::test_a_saved_plan_with_a_wrong_finding" in done.stdout
    assert "does not fit the plan schema" in done.stdout
    # Both writers saw it: render_saved's document, and the printed one it is made from.
    assert "render_saved: /unmanaged/0/id: 7 is not of type" in done.stdout, done.stdout
    assert "plan_document: /unmanaged/0/id: 7 is not of type" in done.stdout, done.stdout


def test_the_check_records_what_a_writer_got_wrong_and_fails_the_phase() -> None:
    plan_document(Plan("acme", "lin", 3, unmanaged=(UnmanagedToken(7, None),)))  # type: ignore[arg-type]
    assert plan_documents.FOUND == ["plan_document: /unmanaged/0/id: 7 is not of type \"string\""]
    with pytest.raises(pytest.fail.Exception, match="does not fit the plan schema"):
        plan_documents.fail_on_found()
    assert plan_documents.FOUND == []


def test_a_subprocess_plan_is_checked_from_its_output(tmp_path: Path) -> None:
    document = plan_document(good_plan())
    plan_documents.check_output(["plan", "--format", "json"], json.dumps(document), tmp_path)
    (tmp_path / "p.json").write_bytes(render_saved(good_plan()))
    plan_documents.check_output(["--debug", "plan", "--out", "p.json"], "", tmp_path)
    assert plan_documents.FOUND == []
    plan_documents.check_output(["plan", "--format", "json"],
                                json.dumps(document | {"organization": 1}), tmp_path)
    assert plan_documents.FOUND == ["pstokens plan --format json (stdout): "
                                    "/organization: 1 is not of type \"string\""]
    plan_documents.FOUND.clear()


def broken(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [document | {"format_version": 3}, document | {"unmanaged": [{"id": "x"}]},
            document | {"changes": [document["changes"][0] | {"action": "create-ish"}]},
            document | {"surprise": True}, {k: v for k, v in document.items() if k != "state"}]


def test_jsonschema_rs_and_jsonschema_agree_on_good_and_broken_plans() -> None:
    reference = Draft202012Validator(generate("plan"))
    good = [plan_document(good_plan()), json.loads(render_saved(good_plan()))]
    for document in good:
        assert plan_documents.problems(document) == []
        assert list(reference.iter_errors(document)) == []
    for document in broken(good[0]) + broken(good[1]):
        assert plan_documents.problems(document), document
        assert list(reference.iter_errors(document)), document
