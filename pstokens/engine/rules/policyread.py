"""Reading a policy's `deny` and `warn` back out of rego-cpp, whatever they hold.

regopy hands a query's result over as JSON that rego-cpp writes, and rego-cpp
writes a string's double quote, newline, tab, escape or other control
character unescaped: a token name holding one broke the whole run. So no
string of a policy's output crosses as JSON text here: a small helper module
(`READER`), added beside the policies, describes `deny` and `warn` (a set, an
array, or something else) and gives each message base64-encoded, which is
plain ASCII; Python decodes it. Anything other than a set or array of strings
or `{"msg": string}` objects is refused, naming the policy (fail closed: a
`deny` pstokens cannot read never passes silently), and so is an empty
message.

When a query fails, rego-cpp's own reasons (`divide by zero`, `HTTP builtins
are not supported`) are read from its error nodes, not from its JSON. Some
failures (a rule defined by itself, `a := b` with `b := a`, a function calling
itself) rego-cpp reports as an output it calls ok whose text is its error tree,
not JSON: regopy's `Interpreter.query` then raises JSONDecodeError, so `answer`
looks at the output's node before regopy reads its text.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass
from typing import Any

READER_PATH = "(pstokens policy reader)"
READER_PACKAGE = "pstokens_policy_reader__"
READER = f"""package {READER_PACKAGE}

import rego.v1

read(p) := {{k: shape(v) | some k in ["deny", "warn"]; v := p[k]}}

shape(v) := {{"items": [item(x) | some x in v]}} if is_set(v)

else := {{"items": [item(x) | some x in v]}} if is_array(v)

else := {{"bad": type_name(v)}}

item(x) := {{"text": base64.encode(x)}} if is_string(x)

else := {{"text": base64.encode(x.msg)}} if {{
	is_object(x)
	is_string(x.msg)
}}

else := {{"bad": type_name(x)}} if not is_object(x)

else := {{"bad": "object without a string msg"}}
"""
# The longest reason of rego-cpp's shown in an error.
MAX_REASON = 300


@dataclass(frozen=True)
class Failed:
    """A query rego-cpp could not answer, and its reasons (none when unreadable)."""

    reasons: list[str]


def answer(interpreter: Any, text: str) -> Any:
    """`interpreter.query(text)`: regopy's Output, or `Failed` with rego-cpp's reasons
    when the query failed, however rego-cpp reports it."""
    try:
        from regopy import Output
        from regopy.node import Node
        from regopy.rego_shared import (
            NodeKind,
            rego_free_output,
            rego_node_type,
            rego_output_node,
            rego_output_ok,
            rego_query,
        )
    except ImportError:  # pragma: no cover - a regopy laid out otherwise
        return _queried(interpreter, text)
    handle = rego_query(interpreter._impl, text)
    errors = (NodeKind.Error, NodeKind.ErrorSeq)
    if rego_output_ok(handle) and rego_node_type(rego_output_node(handle)) not in errors:
        try:
            return Output(handle)  # frees `handle` when it goes
        except ValueError:  # its text is not JSON all the same
            return Failed([])
    try:
        return Failed(_reasons(Node(rego_output_node(handle))))
    finally:
        rego_free_output(handle)


def _queried(interpreter: Any, text: str) -> Any:  # pragma: no cover - see `answer`
    try:
        output = interpreter.query(text)
    except ValueError:
        return Failed([])
    return output if output.ok() else Failed(reasons(output))


def query(package: str) -> str:
    """The query whose binding `found` describes `package`'s deny and warn."""
    return f"found := data.{READER_PACKAGE}.read(data.{package})"


@dataclass(frozen=True)
class Unreadable:
    """A deny or warn pstokens cannot read: `what` it is, in words."""

    kind: str
    what: str


def messages(bindings: Any, kind: str) -> list[str] | Unreadable:
    """The messages of `kind` ("deny" or "warn") in a query's `found` binding, sorted
    and once each; an `Unreadable` when they are not strings (or `{"msg": string}`)."""
    if not isinstance(bindings, dict):
        return []
    shaped = bindings.get(kind)
    if shaped is None:
        return []
    if not isinstance(shaped, dict) or "items" not in shaped:
        what = _article(str(shaped.get("bad") if isinstance(shaped, dict) else "value"))
        if what == "an object":
            what += (f" (a Rego v0 `{kind}[msg] {{ ... }}` rule makes one: write "
                     f"`{kind} contains msg if {{ ... }}` under `import rego.v1`)")
        return Unreadable(kind, f"it is {what}")
    found: set[str] = set()
    for item in shaped["items"]:
        if not isinstance(item, dict) or "text" not in item:
            bad = item.get("bad") if isinstance(item, dict) else "value"
            return Unreadable(kind, f"it holds {_article(str(bad))}")
        text = _decoded(item["text"])
        if text is None:
            return Unreadable(kind, "it holds a message that is not UTF-8 text")
        if _blank(text):
            return Unreadable(kind, "it holds an empty message")
        found.add(text)
    return sorted(found)


def _blank(text: str) -> bool:
    """Nothing a reader would see: spaces, controls, zero-width and other format
    characters only."""
    return all(c.isspace() or unicodedata.category(c) in {"Cc", "Cf", "Zs", "Zl", "Zp"}
               for c in text)


def reasons(output: Any) -> list[str]:
    """rego-cpp's reasons for a failed query (its error nodes' messages), or none
    when they cannot be read."""
    try:
        return _reasons(output.node())
    except Exception:  # noqa: BLE001 - a regopy laid out otherwise: no reason, still an error
        return []


def _reasons(errors: Any) -> list[str]:
    """The messages of an error node (one `Error`, or an `ErrorSeq` of them)."""
    try:
        from regopy.rego_shared import NodeKind, rego_node_value

        each = ([errors] if errors.kind == NodeKind.Error
                else [errors.at(index) for index in range(len(errors))])
        found = [rego_node_value(error.at(0)._impl) for error in each]
        return [r[:MAX_REASON] for r in dict.fromkeys(found) if r]
    except Exception:  # noqa: BLE001 - a regopy laid out otherwise: no reason, still an error
        return []


def _decoded(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _article(what: str) -> str:
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"
