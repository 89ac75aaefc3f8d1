"""How a plan reaches rego-cpp, made quick without changing what a policy sees: the
input pstokens builds reads exactly as regopy's own, a push rego-cpp refuses is an
error (never a partial input), the child starts without the config reader, and a
document handed over before the child is ready never leaves anything hanging."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import pstokens
from pstokens.config.model import PolicyFile
from pstokens.engine.reading.policyrun import PolicyRun
from pstokens.engine.rules import policies
from pstokens.engine.rules.policies import Evaluator, PolicyFinding, PolicyKind
from pstokens.errors import ConfigError, PstokensError

pytest.importorskip("regopy")

# An array, not a set: rego-cpp builds a set in time growing with the square of its size.
ECHO = PolicyFile.of("policy/echo.rego", "package echo\n\nimport rego.v1\n\n"
                     "deny := [sprintf(\"%s lives\", [c.key]) | some c in input.changes]\n")
ALLOWS = ["create_branch", "read_branch", "delete_branch"]


def read_back(value: Any) -> Any:
    """The input rego-cpp holds once `value` is set as a plan's (`x := input`)."""
    from regopy import Interpreter

    interpreter = Interpreter()
    interpreter.set_input(value)
    output = interpreter.query("x := input")
    assert output.ok()
    return output[0].bindings["x"]


def test_the_input_built_reads_as_regopys_own() -> None:
    from regopy import Input

    # Every kind of value a plan document holds, strings repeated (each encoded once),
    # containers nested, empty and not.
    document = {
        "changes": [{"action": "grant", "key": f"k{i}", "allows": ALLOWS, "ttl": i * 86400,
                     "database": None, "prevent_destroy": i % 2 == 0, "ratio": i / 4}
                    for i in range(5)],
        "config": {"tokens": {"payments-ci": {"accesses": {"(organization)": []}}},
                   "empty": {}},
        # (rego-cpp writes its JSON unescaped: test_policy_output.py round-trips the rest)
        "names": ["snow \u2603 \U0001f600", "", "read_branch"],
        "big": -(2 ** 62), "true": True, "null": None,
    }
    assert read_back(policies._input(document)) == read_back(Input(document))
    # A tuple reads as a list, any Mapping as an object.
    shaped = {"a": (1, "x"), "b": MappingProxyType({"c": [None]})}
    assert read_back(policies._input(shaped)) == read_back(Input({"a": [1, "x"],
                                                                  "b": {"c": [None]}}))


def test_a_push_rego_cpp_refuses_is_an_error_not_a_partial_input() -> None:
    from regopy.rego_shared import rego

    handle = rego.regoNewInput()
    try:
        builder = policies._Builder(rego, handle)
        builder.item(builder.handle)  # an object item with no key or value: refused
        with pytest.raises(PstokensError, match="could not be handed to the Rego evaluator"):
            builder.build({"a": "b"})
    finally:
        rego.regoFreeInput(handle)


def test_an_evaluator_judges_each_document_it_is_given() -> None:
    evaluator = Evaluator([ECHO])
    first = evaluator.judge({"changes": [{"key": "a"}]})
    second = evaluator.judge({"changes": [{"key": "b"}, {"key": "c"}]})
    assert [f.message for f in first] == ["a lives"]
    assert [f.message for f in second] == ["b lives", "c lives"]


def test_the_policy_child_loads_no_config_reader() -> None:
    """What the child imports, its start costs; the config reader (PyYAML, the schema)
    it never needs."""
    here = str(Path(pstokens.__file__).resolve().parent.parent)
    code = ("import sys\nimport pstokens.engine.reading.policyworker\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'yaml' "
            "or m.startswith('pstokens.config')))")
    shown = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True,
                           text=True, check=True, env={**os.environ, "PYTHONPATH": here})
    assert shown.stdout.strip() == "[]"


def big_plan() -> dict[str, Any]:
    """Far more than a pipe holds (64 KiB on Linux): the write blocks until read."""
    return {"changes": [{"action": "grant", "key": f"token-{i:05d}", "allows": ALLOWS}
                        for i in range(20_000)], "config": {"tokens": {}}}


def test_a_big_document_meets_the_policies_findings_whole() -> None:
    found = PolicyRun([ECHO]).evaluate([ECHO], big_plan(), 60)
    assert len(found) == 20_000
    assert found[0] == PolicyFinding(PolicyKind.DENY, "echo", "token-00000 lives",
                                     "policy/echo.rego")


def test_a_policy_that_does_not_parse_under_a_big_document_is_its_error() -> None:
    """The document is on its way while the child compiles; the child stops at the
    bad policy, without reading it, and nothing is left blocked."""
    bad = PolicyFile.of("policy/bad.rego", "package x\n\ndeny contains msg if {\n  msg := \n}\n")
    run = PolicyRun([bad])
    with pytest.raises(ConfigError) as caught:
        run.evaluate([bad], big_plan(), 60)
    assert [(p.file, p.line) for p in caught.value.problems] == [("policy/bad.rego", 4)]
    assert run.process.returncode is not None
    assert run._writer is not None and not run._writer.is_alive()


def test_a_document_that_cannot_be_handed_over_is_refused_and_the_child_killed() -> None:
    run = PolicyRun([ECHO])
    with pytest.raises(ValueError, match="unmarshallable"):
        run.evaluate([ECHO], {"changes": [object()]}, 60)
    assert run.process.returncode is not None
