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
are not supported`) are read from its error nodes, not from its JSON.
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
        from regopy.rego_shared import rego_node_value

        errors = output.node()
        found = []
        for index in range(len(errors)):
            message = errors.at(index).at(0)
            found.append(rego_node_value(message._impl))
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
