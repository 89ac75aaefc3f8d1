"""`rules.policies`: Rego policies evaluated in-process against the JSON plan.

Pure in the engine's sense: plain data in (the policies' text, the plan's
document), typed findings out; no file, no call, no process. Every string of a
policy's `deny` set is a violation, every string of its `warn` set a warning
(conftest's convention, whose `{"msg": ...}` objects are read too); the
policy's package names it in output. The evaluator is `regopy` (rego-cpp),
the optional extra `pstokens[policy]`; config/policies.py refuses a config
naming policies without it.

Evaluation runs once per plan, every policy in turn, in a worker thread given
`limit` seconds in all: past it the run stops with an error naming the policy.
(A thread cannot be killed: the evaluator keeps the core until it returns or
the process ends, but nothing waits for it.)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pstokens.config.model import PolicyFile
from pstokens.errors import ConfigError, Problem

# How long every policy of one plan may run, in all (PRODUCT.md: stopped after 10 s).
TIME_LIMIT = 10.0
HINT = "fix the policy (`opa check FILE` or `conftest verify` say more)"

_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)
# rego-cpp locates an error as `NAME|OFFSET|LENGTH`, the offset counted in bytes.
_WHERE = re.compile(r"\(error \d+:(?P<name>[^|\n]*)\|(?P<offset>\d+)\|\d+")
_WHAT = re.compile(r"\(errormsg \d+:(?P<text>[^\n]*)\)")


class PolicyKind(StrEnum):
    DENY = "deny"  # a violation: the plan differs (exit 2 with --detailed-exitcode)
    WARN = "warn"  # a warning


@dataclass(frozen=True)
class PolicyFinding:
    """One string of a policy's `deny` or `warn` set."""

    kind: PolicyKind
    package: str
    message: str
    file: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "package": self.package, "message": self.message,
                "file": self.file}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyFinding:
        return cls(PolicyKind(data["kind"]), str(data["package"]), str(data["message"]),
                   str(data.get("file") or ""))


def package_of(policy: PolicyFile) -> tuple[str, int]:
    """The policy's package and the line it is declared on; ConfigError when it has none."""
    found = _PACKAGE.search(_without_comments(policy.text))
    if found is None:
        raise ConfigError([Problem(policy.path, 1, 1, "the policy declares no package")],
                          HINT)
    return found.group(1), policy.text.count("\n", 0, found.start()) + 1


def check_policies(policies: Sequence[PolicyFile]) -> None:
    """Refuse a policy that does not parse (ConfigError at FILE:LINE:COLUMN), before any
    call: `validate`, plan and apply start with it."""
    for policy in policies:
        _interpreter(policy)  # alone, so an error names its file


def evaluate(
    policies: Sequence[PolicyFile], document: Mapping[str, Any], limit: float = TIME_LIMIT
) -> tuple[PolicyFinding, ...]:
    """Every policy's deny and warn strings for `document` (the plan as `plan --format
    json` prints it), evaluated once; ConfigError when one fails or they run past `limit`."""
    if not policies:
        return ()
    outcome: list[tuple[PolicyFinding, ...] | Exception] = []
    running: list[PolicyFile] = []

    def run() -> None:
        try:
            from regopy import Input

            found: list[PolicyFinding] = []
            interpreter = _interpreter(*policies)  # one input for every policy: read once
            interpreter.set_input(Input(document))
            for policy in policies:
                running.append(policy)
                found.extend(_evaluate(interpreter, policy))
            outcome.append(tuple(found))
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=run, name="pstokens-policies", daemon=True)
    worker.start()
    worker.join(limit)
    if not outcome:
        policy = running[-1] if running else policies[0]
        raise ConfigError([Problem(policy.path, package_of(policy)[1], 1,
                                   f"the policy ran longer than {limit:g} s and was stopped")],
                          "make the policy do less work per plan (a loop over every pair "
                          "of changes is the usual cause)")
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result


def _evaluate(interpreter: Any, policy: PolicyFile) -> list[PolicyFinding]:
    package, line = package_of(policy)
    output = interpreter.query(f"data.{package}")
    if not output.ok():
        raise ConfigError([Problem(policy.path, line, 1, "the policy failed while "
                                   "evaluating the plan")], HINT)
    expressions = output[0].expressions if len(output) else []
    values = expressions[0] if expressions and isinstance(expressions[0], dict) else {}
    return [PolicyFinding(kind, package, message, policy.path)
            for kind in PolicyKind for message in _strings(values.get(str(kind)))]


def _strings(value: Any) -> list[str]:
    """The strings of a deny or warn set (or conftest's `{"msg": ...}` objects), sorted."""
    if not isinstance(value, list):
        return []
    found = {item if isinstance(item, str) else item.get("msg")
             for item in value if isinstance(item, str | dict)}
    return sorted(m for m in found if isinstance(m, str))


def _interpreter(*policies: PolicyFile) -> Any:
    from regopy import Interpreter, LogLevel, RegoError

    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    for policy in policies:
        try:
            interpreter.add_module(policy.path, policy.text)
        except RegoError as exc:
            raise ConfigError([_located(policy, str(exc))], HINT) from None
    return interpreter


def _located(policy: PolicyFile, error: str) -> Problem:
    """rego-cpp's error as a Problem at the line and column it names."""
    where, what = _WHERE.search(error), _WHAT.search(error)
    message = f"the policy does not parse: {what.group('text') if what else 'a Rego error'}"
    if where is None:
        return Problem(policy.path, 1, 1, message)
    data = policy.text.encode()
    offset = min(int(where.group("offset")), len(data))
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return Problem(policy.path, data.count(b"\n", 0, offset) + 1, column, message)


def _without_comments(text: str) -> str:
    """`text` with each `#` comment blanked (same length, so offsets still hold)."""
    return re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text)
