"""`rules.policies`: Rego policies evaluated against the JSON plan.

Pure in the engine's sense: plain data in (the policies' text, the plan's
document), typed findings out; no file, no call, no process. Every string of a
policy's `deny` set is a violation, every string of its `warn` set a warning
(conftest's convention, whose `{"msg": ...}` objects are read too); the
policy's package names it in output. The evaluator is `regopy` (rego-cpp),
the optional extra `pstokens[policy]`; config/policies.py refuses a config
naming policies without it.

`evaluate` runs here, with no time limit: the CLI, the adapters and the engine
service run it in a child process that is killed past `TIME_LIMIT`
(engine/reading/policyrun.py), since a thread running rego-cpp cannot be stopped.
One interpreter holds every policy and one input, built once per plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pstokens.engine.rules import policyread
from pstokens.errors import ConfigError, Problem, PstokensError
from pstokens.quoting import quote
from pstokens.regotext import package_of_text, without_comments

# How long every policy of one plan may run, in all (PRODUCT.md: stopped after 10 s).
TIME_LIMIT = 10.0
HINT = "fix the policy (`opa check FILE` or `conftest verify` say more)"

# rego-cpp locates an error as `NAME|OFFSET|LENGTH`, the offset counted in bytes.
_WHERE = re.compile(r"\(error \d+:(?P<name>[^|\n]*)\|(?P<offset>\d+)\|\d+")
# OPA builtins rego-cpp may lack (I/O, printing, metadata); each is refused when it does.
_OPA_ONLY = frozenset((
    "http.send", "net.lookup_ip_addr", "net.cidr_expand", "print", "trace",
    "rego.parse_module", "rego.metadata.chain", "rego.metadata.rule",
    "providers.aws.sign_req", "graphql.is_valid", "graphql.parse", "graphql.schema_is_valid",
    "json.verify_schema", "json.match_schema", "strings.render_template",
))
_CALL = re.compile(r"(?<![\w.])([a-z_]\w*(?:\.[a-z_]\w*)*)\s*\(")
_WHAT = re.compile(r"\(errormsg \d+:(?P<text>[^\n]*)\)")


class Policy(Protocol):
    """A policy's path as shown and its text (`config.model.PolicyFile`; the policy
    worker, which reads no config, passes its own)."""

    @property
    def path(self) -> str: ...

    @property
    def text(self) -> str: ...


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


def package_of(policy: Policy) -> tuple[str, int]:
    """The policy's package and the line it is declared on; ConfigError when it has none."""
    found = package_of_text(policy.text)
    if found is None:
        raise ConfigError([Problem(policy.path, 1, 1, "the policy declares no package")],
                          HINT)
    return found


def check_policies(policies: Sequence[Policy]) -> None:
    """Refuse a policy that does not parse (ConfigError at FILE:LINE:COLUMN), before any
    call: `validate`, plan and apply start with it."""
    for policy in policies:
        _interpreter(policy)  # alone, so an error names its file


def evaluate(
    policies: Sequence[Policy], document: Mapping[str, Any]
) -> tuple[PolicyFinding, ...]:
    """Every policy's deny and warn strings for `document` (the plan as `plan --format
    json` prints it), evaluated once, here and with no time limit; ConfigError when one
    does not parse or fails."""
    if not policies:
        return ()
    return Evaluator(policies).judge(document)


class Evaluator:
    """Every policy compiled into one interpreter (ConfigError at FILE:LINE:COLUMN when
    one does not parse or declares no package), ready to judge a plan's document."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = tuple(policies)
        self._packages = [package_of(policy) for policy in self.policies]
        self._interpreter = _interpreter(*self.policies)
        self._built: Any = None  # the last input built (see `judge`)

    def judge(
        self, document: Mapping[str, Any], running: Callable[[int], None] = lambda i: None
    ) -> tuple[PolicyFinding, ...]:
        """Each policy's findings on `document`, read into the interpreter once for
        all; `running(i)` is told before policy `i` starts."""
        built = _input(document)
        self._interpreter.set_input(built)  # a copy: rego-cpp clones the tree it is given
        # `built` is freed with the evaluator, not here: freeing a 1,000-token plan's
        # tree takes rego-cpp 35-40 ms, which would come before the first query.
        self._built = built
        found: list[PolicyFinding] = []
        for index, policy in enumerate(self.policies):
            running(index)
            found += _evaluate(self._interpreter, policy, *self._packages[index])
        return tuple(found)


def stopped(policy: Policy, limit: float) -> ConfigError:
    """The error for policies still running past `limit`: `policy` was running."""
    return ConfigError([Problem(policy.path, package_of(policy)[1], 1,
                                f"the policy ran longer than {limit:g} s and was stopped")],
                       "make the policy do less work per plan (a loop over every pair "
                       "of changes is the usual cause)")


def crashed(policy: Policy, code: int) -> ConfigError:
    """The error for the evaluator's process dying while `policy` ran (rego-cpp runs
    out of stack on a deeply nested term or a very deep evaluation)."""
    return ConfigError([Problem(policy.path, package_of(policy)[1], 1,
                                "the policy failed while evaluating the plan: the Rego "
                                f"evaluator stopped unexpectedly (exit {code})")],
                       "make the policy simpler: a deeply nested term or a very deep "
                       "evaluation runs rego-cpp out of stack")


def failed(policy: Policy, reason: str) -> ConfigError:
    """The error for `policy` failing while evaluating, with rego-cpp's `reason`."""
    return ConfigError([Problem(policy.path, package_of(policy)[1], 1, "the policy failed "
                                f"while evaluating the plan: {quote(reason, None)}")], HINT)


def _evaluate(interpreter: Any, policy: Policy, package: str, line: int) -> list[PolicyFinding]:
    output = policyread.answer(interpreter, policyread.query(package))
    if isinstance(output, policyread.Failed):
        raise failed(policy, "; ".join(output.reasons) or "no reason given")
    found = output[0].bindings.get("found") if len(output) else None
    findings = []
    for kind in PolicyKind:
        messages = policyread.messages(found, str(kind))
        if isinstance(messages, policyread.Unreadable):
            raise ConfigError([Problem(policy.path, line, 1, f"`{kind}` must be a set or "
                                       "array of strings or {\"msg\": string} objects, but "
                                       f"{messages.what}")], HINT)
        findings += [PolicyFinding(kind, package, message, policy.path) for message in messages]
    return findings


def _interpreter(*policies: Policy) -> Any:
    from regopy import Interpreter, LogLevel, RegoError

    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    interpreter.add_module(policyread.READER_PATH, policyread.READER)
    for policy in policies:
        try:
            interpreter.add_module(policy.path, policy.text)
        except RegoError as exc:
            raise ConfigError([_located(policy, str(exc))], HINT) from None
        if missing := _missing_builtins(interpreter, policy):
            raise ConfigError(missing, "judge the plan alone: pstokens evaluates policies "
                              "offline, without these builtins")
    return interpreter


def _missing_builtins(interpreter: Any, policy: Policy) -> list[Problem]:
    """Each call of an OPA builtin rego-cpp lacks (`http.send`, `print`): rego-cpp makes
    such a call undefined, silently, so a deny resting on one would never fire."""
    text = without_comments(policy.text)
    found = []
    for call in _CALL.finditer(text):
        name = call.group(1)
        if name in _OPA_ONLY and not interpreter.is_builtin(name):
            start = text.rfind("\n", 0, call.start()) + 1
            found.append(Problem(policy.path, text.count("\n", 0, call.start()) + 1,
                                 call.start() - start + 1, f"the policy calls {name}, which "
                                 "the Rego evaluator (rego-cpp) does not offer"))
    return found


def _located(policy: Policy, error: str) -> Problem:
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


def _input(document: Mapping[str, Any]) -> Any:
    """`document` as regopy's input, built once per plan.

    regopy's own `Input(value)` makes a C call through two Python wrappers for every
    value, each string copied into a fresh buffer: about 0.37 s of CPU for the 2.5 MB
    document of a 1,000-token plan. This makes the same calls, in the same order, on the
    library regopy loaded, each distinct string encoded once, and checks the outcome
    once at the end: about 0.24 s, of it about 0.19 s in rego-cpp making its nodes and
    0.04 s in ctypes' calls (docs/performance.md). A regopy without those entry points
    gets its own `Input`.
    """
    from regopy import Input

    try:
        from regopy.rego_shared import rego as library
    except ImportError:  # pragma: no cover - a regopy laid out otherwise
        return Input(document)
    value = Input.__new__(Input)
    value._impl = library.regoNewInput()
    _Builder(library, value._impl).build(document)
    return value


class _Builder:
    """Pushes a JSON value onto a regopy input, as `regopy.rego_shared.rego_input_from_value`
    does (values first, then the array, object or item that takes them).

    Each push's result is not looked at: rego-cpp keeps an input's first error (a
    missing argument, an object item that is not one) and refuses every later push, so
    one look at the end (`regoInputValidate`, and exactly one value left on the stack)
    tells whether every push took.
    """

    def __init__(self, library: Any, handle: Any) -> None:
        import ctypes

        self.handle = ctypes.c_void_p(handle)
        self.string, self.integer = library.regoInputString, library.regoInputInt
        self.boolean, self.null = library.regoInputBoolean, library.regoInputNull
        self.real, self.item = library.regoInputFloat, library.regoInputObjectItem
        self.object, self.array = library.regoInputObject, library.regoInputArray
        # Declared here, on functions of our own: regopy does not declare these two.
        self.valid = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p)(
            ("regoInputValidate", library))
        self.size = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p)(
            ("regoInputSize", library))
        self.encoded: dict[str, bytes] = {}

    def build(self, document: Any) -> None:
        """Push `document` whole; PstokensError when rego-cpp refused any push."""
        self.add(document)
        if self.valid(self.handle) != 0 or self.size(self.handle) != 1:
            raise PstokensError("the plan could not be handed to the Rego evaluator")

    def add(self, value: Any) -> None:
        kind, handle, string, encoded = type(value), self.handle, self.string, self.encoded
        if kind is str:
            string(handle, encoded.get(value) or self._bytes(value))
        elif kind is dict or isinstance(value, Mapping):
            item = self.item
            for key, inner in value.items():
                key = str(key)
                string(handle, encoded.get(key) or self._bytes(key))
                if type(inner) is str:  # most values: spared a call of `add`
                    string(handle, encoded.get(inner) or self._bytes(inner))
                else:
                    self.add(inner)
                item(handle)
            self.object(handle, len(value))
        elif kind is list or kind is tuple:
            for inner in value:
                if type(inner) is str:
                    string(handle, encoded.get(inner) or self._bytes(inner))
                else:
                    self.add(inner)
            self.array(handle, len(value))
        elif value is None:
            self.null(handle)
        elif kind is bool:
            self.boolean(handle, value)
        elif kind is int:
            self.integer(handle, value)
        elif kind is float:
            self.real(handle, value)
        else:
            raise TypeError(f"a plan document holds no {kind.__name__}")

    def _bytes(self, text: str) -> bytes:
        """`text` for rego-cpp, which reads a NUL as the string's end: so a NUL is
        handed over as U+FFFD, and what follows it still reaches the policy."""
        found = self.encoded[text] = text.replace("\x00", "\ufffd").encode()
        return found
