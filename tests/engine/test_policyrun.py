"""`rules.policies` in a child process: the same findings as in-process, errors carried
back at their file and line, and a policy that runs too long stopped, its process gone."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import pytest

from pstokens.config.model import PolicyFile
from pstokens.engine.reading.policyrun import PolicyRun, isolated
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind
from pstokens.errors import ConfigError, PstokensError

pytest.importorskip("regopy")

EXAMPLE = Path(__file__).parents[2] / "examples" / "policy" / "ttl.rego"
# 10^10 steps with nothing kept: it never finishes, and never grows.
LOOPING = PolicyFile.of("policy/loop.rego", """\
# Compares every pair of ten billion numbers.
package loop

import rego.v1

deny contains "never" if {
\tsome i in numbers.range(1, 100000)
\tsome j in numbers.range(1, 100000)
\ti == j + 100001
}
""")
PLAN = {"changes": [{"action": "create", "key": "forever", "ttl": None}],
        "config": {"tokens": {}}}


def test_the_child_finds_what_the_policy_says() -> None:
    ttl = PolicyFile.of(str(EXAMPLE), EXAMPLE.read_text())
    assert isolated([ttl], PLAN, 60) == (PolicyFinding(
        PolicyKind.DENY, "pstokens.ttl",
        "forever never expires; give it a ttl of at most 90 days", str(EXAMPLE)),)


def test_a_policy_that_does_not_parse_is_an_error_at_its_line() -> None:
    bad = PolicyFile.of("policy/bad.rego", "package x\n\ndeny contains msg if {\n  msg := \n}\n")
    with pytest.raises(ConfigError) as caught:
        isolated([bad], PLAN, 60)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == ("policy/bad.rego", 4, 7)
    assert "does not parse" in problem.message


def test_a_looping_policy_is_stopped_and_its_process_killed() -> None:
    ttl = PolicyFile.of(str(EXAMPLE), EXAMPLE.read_text())
    run = PolicyRun([ttl, LOOPING])
    with pytest.raises(ConfigError) as caught:
        run.evaluate([ttl, LOOPING], PLAN, 1.5)
    [problem] = caught.value.problems
    # Named at its package's line; the ttl policy, done first, is not blamed (unless the
    # child took the whole limit to start, which only a machine far too slow does).
    assert problem.file in ("policy/loop.rego", str(EXAMPLE))
    assert "ran longer than 1.5 s and was stopped" in problem.message
    assert run.process.returncode is not None  # reaped: nothing left running
    if sys.platform != "win32":
        assert run.process.returncode == -signal.SIGKILL


def test_a_run_left_unused_is_killed_on_leaving_its_block() -> None:
    with PolicyRun([LOOPING]) as run:
        pass
    assert run.process.returncode is not None


@pytest.mark.parametrize(("worker", "said"), [
    ("pstokens.no_such_worker", "the Rego evaluator stopped unexpectedly (exit 1)"),
    ("this", "the Rego evaluator answered something unreadable"),  # prints the Zen of Python
])
def test_a_child_that_dies_or_babbles_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, worker: str, said: str
) -> None:
    monkeypatch.setattr("pstokens.engine.reading.policyrun.WORKER", worker)
    run = PolicyRun([LOOPING])
    with pytest.raises(PstokensError, match=re.escape(said)):
        run.evaluate([LOOPING], PLAN, 60)
    assert run.process.returncode is not None


def test_a_child_dying_on_a_policy_names_that_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """rego-cpp runs out of stack on a deeply nested term and the child dies: the error
    is a problem at the policy running, not a bare exit code."""
    monkeypatch.setattr("pstokens.engine.reading.policyrun.WORKER",
                        "tests.engine.crashing_worker")
    with pytest.raises(ConfigError) as caught:
        isolated([LOOPING], PLAN, 60)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("policy/loop.rego", 2)
    assert problem.message.startswith("the policy failed while evaluating the plan: the Rego "
                                      "evaluator stopped unexpectedly (exit ")
    assert "stack" in (caught.value.hint or "")
