"""What a policy's `deny` and `warn` may hold, read back whatever their strings are:
anything but strings (or `{"msg": string}`) is an error naming the policy (never
dropped), every string round-trips, a failure says rego-cpp's reason, and a call to
a builtin rego-cpp lacks is refused before anything runs."""

from __future__ import annotations

import pytest

from pstokens.config.model import PolicyFile
from pstokens.engine.rules.policies import check_policies, evaluate
from pstokens.errors import ConfigError

pytest.importorskip("regopy")

HEAD = "# a policy\npackage p\n"
V1 = HEAD + "import rego.v1\n"


def problem(text: str, document: dict[str, object] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        evaluate([PolicyFile.of("policy/p.rego", text)], document or {})
    [found] = caught.value.problems
    assert (found.file, found.line) == ("policy/p.rego", 2)  # its package line
    return found.message


@pytest.mark.parametrize(("body", "said"), [
    ('deny[msg] { msg := "x" }\n', "it is an object (a Rego v0 `deny[msg] { ... }` rule"),
    ('deny := "a plain string"\n', "it is a string"),
    ("import rego.v1\nwarn contains 42 if true\n", "it holds a number"),
    ('import rego.v1\nwarn contains {"nomsg": 1} if true\n', "object without a string msg"),
    ('import rego.v1\nwarn contains {"msg": 7} if true\n', "object without a string msg"),
    ('import rego.v1\ndeny contains "" if true\n', "it holds an empty message"),
    ('import rego.v1\nwarn := ["fine", " "]\n', "it holds an empty message"),
])
def test_a_deny_or_warn_that_is_not_strings_is_an_error_never_dropped(
    body: str, said: str
) -> None:
    message = problem(HEAD + body)
    assert "must be a set or array of strings or {\"msg\": string} objects" in message
    assert said in message


def test_a_message_of_only_invisible_characters_counts_as_empty() -> None:
    """A name of no-break and zero-width spaces, echoed by a policy, shows nothing."""
    policy = PolicyFile.of("p.rego", V1 + "warn contains input.blank if true\n")
    with pytest.raises(ConfigError, match="it holds an empty message"):
        evaluate([policy], {"blank": "\u00a0\u200b\t\n"})


HOSTILE = ['quote " here', "new\nline", "tab\there", "cr\rhere", "esc\x1b[31mred",
           "back\\slash", "snow \u2603 \U0001f600", "sep\u2028ara"]


def test_any_string_round_trips_from_the_policy() -> None:
    policy = PolicyFile.of("p.rego", V1 + 'warn contains sprintf("name: %s", [n]) if '
                           "{ some n in input.names }\n"
                           'deny contains {"msg": n} if { some n in input.names }\n')
    found = evaluate([policy], {"names": HOSTILE})
    assert sorted(f.message for f in found if f.kind == "warn") == sorted(
        f"name: {n}" for n in HOSTILE)
    assert sorted(f.message for f in found if f.kind == "deny") == sorted(HOSTILE)


def test_a_nul_reaches_the_policy_as_a_replacement_character_not_an_end() -> None:
    policy = PolicyFile.of("p.rego", V1 + 'deny contains sprintf("name: %s!", [input.n]) if true\n')
    [found] = evaluate([policy], {"n": "prod\x00-not-really"})
    assert found.message == "name: prod\ufffd-not-really!"


def test_a_failing_policy_says_rego_cpps_reason() -> None:
    message = problem(V1 + "x := input.a\nx := 2 if true\ndeny contains \"d\" if x\n",
                      {"a": 'se"cret'})
    assert message == ('the policy failed while evaluating the plan: "complete rules must '
                       'not produce multiple outputs"')


@pytest.mark.parametrize(("call", "name"), [
    ('x := http.send({"method": "get", "url": "http://127.0.0.1:1/"})', "http.send"),
    ('print("x")\n  x := 1', "print"),
])
def test_a_builtin_rego_cpp_lacks_is_refused_at_its_line(call: str, name: str) -> None:
    text = V1 + "# http.send( in a comment is fine\nwarn contains x if {\n  " + call + "\n}\n"
    with pytest.raises(ConfigError) as caught:
        check_policies([PolicyFile.of("p.rego", text)])
    [found] = caught.value.problems
    assert (found.line, found.column) == (6, call.index(name) + 3)
    assert found.message == (f"the policy calls {name}, which the Rego evaluator "
                             "(rego-cpp) does not offer")
