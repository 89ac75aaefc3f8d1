"""Typed reads of YAML nodes that record a located problem instead of failing.

The schema walk asks for "a mapping with these keys" or "a list of strings";
each read here either returns the value or notes what is wrong, where, and
returns None, so one pass collects every problem in the file.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NamedTuple

import yaml

from pstokens.config.wording import did_you_mean, quote
from pstokens.errors import Problem

_CORE = "tag:yaml.org,2002:"
STR, INT, BOOL, NULL, MAP, SEQ = (_CORE + t for t in ("str", "int", "bool", "null", "map", "seq"))
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9_]{0,9})")
_BOOLEANS = yaml.constructor.SafeConstructor.bool_values


class Entry(NamedTuple):
    """One `key: value` of a mapping, both nodes kept for their positions."""

    key_node: yaml.Node
    value: yaml.Node


def describe(node: yaml.Node) -> str:
    """What the user wrote, in words: `the string "yes"`, `a list`, `an empty value`."""
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag == STR:
            return f"the string {quote(node.value)}"
        if tag == NULL:
            return "an empty value"
        if tag == BOOL:
            return f"the boolean {node.value}"
        if tag in (INT, _CORE + "float"):
            return f"the number {node.value}"
        if tag == _CORE + "timestamp":
            return f"the date {node.value}"
        return "binary data"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a set" if tag == _CORE + "set" else "a mapping"


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL)


class Checker:
    """Reads nodes for the schema walk and collects every problem it meets."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []  # valid, but probably not what was meant
        # Problems in a part of a token that no rule reads, the rest being read whole:
        # a misnamed access (left out of the token) or a malformed `deliver:` entry.
        # `validate` still checks that token against the rules.
        self.contained = 0

    def add(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.filename, mark.line + 1, mark.column + 1, message))

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.line, p.column))

    def wrong_type(self, node: yaml.Node, what: str, expected: str) -> None:
        self.add(node, f"{what} must be {expected}, not {describe(node)}")

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        expected: str,
        allowed: Collection[str] | None = None,
    ) -> dict[str, Entry] | None:
        """The entries of a mapping with string keys, each key once.

        Non-string, repeated and (when `allowed` is given) unknown keys are
        reported and left out.
        """
        if not (isinstance(node, yaml.MappingNode) and node.tag == MAP):
            self.wrong_type(node, what, expected)
            return None
        entries: dict[str, Entry] = {}
        for key_node, value in node.value:
            key = self._key(key_node, what)
            if key is None:
                continue
            if key in entries:
                first = entries[key].key_node.start_mark
                self.add(
                    key_node,
                    f"duplicate key {quote(key)} in {what} "
                    f"(first at line {first.line + 1}, column {first.column + 1})",
                )
            elif allowed is not None and key not in allowed:
                self.add(key_node, _unknown_key(key, what, allowed))
            else:
                entries[key] = Entry(key_node, value)
        return entries

    def _key(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == STR:
            return str(node.value)
        if isinstance(node, yaml.ScalarNode) and node.tag == _CORE + "merge":
            self.add(node, "merge keys (<<) are not supported: write the keys out")
        elif isinstance(node, yaml.ScalarNode) and node.tag != NULL:
            self.add(
                node,
                f"keys in {what} must be strings, not {describe(node)} "
                f"(quote it: {quote(node.value)})",
            )
        else:
            self.add(node, f"keys in {what} must be strings, not {describe(node)}")
        return None

    def string(self, node: yaml.Node, what: str, expected: str = "a string") -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == STR:
            return str(node.value)
        if isinstance(node, yaml.ScalarNode) and node.tag not in (NULL, _CORE + "binary"):
            # YAML read `1234` or `yes` as a number or boolean; quotes keep the text.
            message = f"{what} must be {expected}, not {describe(node)}"
            self.add(node, f"{message} (quote it: {quote(node.value)})")
        else:
            self.wrong_type(node, what, expected)
        return None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            value = _BOOLEANS.get(node.value.lower())
            if isinstance(value, bool):
                return value
        self.wrong_type(node, what, "true or false")
        return None

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None:
        expected = f"a whole number from {low} to {high}"
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag == INT
            and _DECIMAL.fullmatch(node.value) is not None
        ):
            number = int(node.value.replace("_", ""))
            if low <= number <= high:
                return number
        self.wrong_type(node, what, expected)
        return None

    def strings(
        self, node: yaml.Node, what: str, one: str, many: str
    ) -> list[tuple[yaml.Node, str]]:
        """The strings of a list (an empty value counts as an empty list).

        Non-strings and repeats are reported and left out.
        """
        if is_null(node):
            return []
        if not (isinstance(node, yaml.SequenceNode) and node.tag == SEQ):
            self.wrong_type(node, what, f"a list of {many}")
            return []
        seen: dict[str, yaml.Node] = {}
        out: list[tuple[yaml.Node, str]] = []
        for child in node.value:
            text = self.string(child, f"each entry of {what}", one)
            if text is None:
                continue
            if text in seen:
                first = seen[text].start_mark
                self.add(
                    child,
                    f"{quote(text)} is listed twice in {what} "
                    f"(first at line {first.line + 1}, column {first.column + 1})",
                )
                continue
            seen[text] = child
            out.append((child, text))
        return out


def _unknown_key(key: str, what: str, allowed: Collection[str]) -> str:
    guess = did_you_mean(key, allowed)
    if guess is not None:
        return f"unknown key {quote(key)} in {what} (did you mean {quote(guess)}?)"
    return f"unknown key {quote(key)} in {what} (expected one of: {', '.join(allowed)})"
