"""A token's `deliver:` list, its `overlap:`, and the rotation warnings.

Kept apart from the rest of the schema walk: destinations have rules of their
own (one kind per entry, no empty command, no two entries of one kind that
land in the same place), checked offline with the position of each problem.
"""

from __future__ import annotations

import os

import yaml

from pstokens.config.duration import parse_duration
from pstokens.config.nodes import Checker, Entry, is_null
from pstokens.config.wording import did_you_mean, quote
from pstokens.destinations import (
    STDIN_FORMS,
    CommandDestination,
    Destination,
    DirDestination,
    StdinForm,
)
from pstokens.errors import InvalidDestination, Problem

DESTINATION_KINDS = ("command", "dir")
COMMAND_KEYS = ("command", "timeout", "stdin")
DIR_KEYS = ("dir",)
ENTRY_FORM = "a mapping such as `command: gh secret set NAME` or `dir: .pstokens/secrets`"


def read_deliver(check: Checker, entry: Entry | None) -> tuple[Destination, ...] | None:
    """The destinations of `deliver:`, or None when the key is absent (use the flags)."""
    if entry is None:
        return None
    node = entry.value
    if is_null(node) or (isinstance(node, yaml.SequenceNode) and not node.value):
        check.add(
            node,
            "deliver lists no destination: add `- command: ...` or `- dir: ...`, or remove "
            "deliver to use --secrets-dir / --secrets-command",
        )
        return None
    if not isinstance(node, yaml.SequenceNode):
        check.wrong_type(node, "deliver", "a list of destinations (`- command: ...`, `- dir: ...`)")
        return None
    found: list[tuple[yaml.Node, Destination]] = []
    for child in node.value:
        destination = _destination(check, child)
        if destination is not None:
            found.append((child, destination))
    _collisions(check, found)
    return tuple(d for _, d in found)


def _destination(check: Checker, node: yaml.Node) -> Destination | None:
    if not isinstance(node, yaml.MappingNode):
        check.wrong_type(node, "each entry of deliver", ENTRY_FORM)
        return None
    keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    kinds = [k for k in DESTINATION_KINDS if k in keys]
    if len(kinds) == 2:
        check.add(node, "an entry of deliver is either `command:` or `dir:`, not both")
        return None
    allowed = {"command": COMMAND_KEYS, "dir": DIR_KEYS}.get(kinds[0] if kinds else "", ())
    fields = check.mapping(node, "each entry of deliver", ENTRY_FORM, allowed or DESTINATION_KINDS)
    if fields is None:
        return None
    if not kinds:
        if not keys - set(COMMAND_KEYS):  # nothing unknown was reported, yet no kind
            check.add(node, "an entry of deliver needs `command:` or `dir:`")
        return None
    return _command(check, fields) if kinds == ["command"] else _dir(check, fields)


def _command(check: Checker, fields: dict[str, Entry]) -> CommandDestination | None:
    node = fields["command"].value
    text = check.string(node, "command", "a shell command that reads the secret on stdin")
    if text is not None and not text.strip():
        check.add(node, "command is empty: give the command that reads the secret on stdin")
        text = None
    timeout = read_duration(check, fields.get("timeout"), "timeout")
    stdin = _stdin(check, fields.get("stdin"))
    if text is None:
        return None
    try:
        return CommandDestination(text.strip(), timeout, stdin)
    except InvalidDestination as exc:  # the value's own rules (a null character ...)
        check.add(node, f"bad command {quote(text)}: {exc.message}")
        return None


def _stdin(check: Checker, entry: Entry | None) -> StdinForm | None:
    """`stdin: env` or `stdin: json`; absent, the command reads the secret alone."""
    if entry is None:
        return None
    choices = " or ".join(STDIN_FORMS)
    text = check.string(entry.value, "stdin", choices)
    for form in STDIN_FORMS:
        if text == form:
            return form
    if text is not None:
        guess = did_you_mean(text, STDIN_FORMS)
        also = f"did you mean {quote(guess)}? " if guess else ""
        check.add(entry.value, f"unknown stdin {quote(text)} ({also}use {choices}, or leave "
                  "stdin out for the secret alone)")
    return None


def _dir(check: Checker, fields: dict[str, Entry]) -> DirDestination | None:
    node = fields["dir"].value
    text = check.string(node, "dir", "a folder path")
    if text is not None and not text.strip():
        check.add(node, "dir is empty: give the folder that receives <organization>/<key>.env")
        return None
    if text is None:
        return None
    try:
        return DirDestination(text)
    except InvalidDestination as exc:  # the value's own rules (a null character ...)
        check.add(node, f"bad folder {quote(text)}: {exc.message}")
        return None


def _collisions(check: Checker, found: list[tuple[yaml.Node, Destination]]) -> None:
    """Two dirs that name one folder, or one command twice, would deliver twice over."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for node, destination in found:
        if isinstance(destination, DirDestination):
            where = ("dir", os.path.normpath(destination.path))
        else:
            where = ("command", " ".join(destination.command.split()))
        if where in seen:
            first = seen[where].start_mark
            check.add(
                node,
                f"this {where[0]} entry delivers to the same place as the one at line "
                f"{first.line + 1}, column {first.column + 1}: remove one",
            )
        else:
            seen[where] = node


def read_duration(check: Checker, entry: Entry | None, what: str) -> int | None:
    if entry is None:
        return None
    node = entry.value
    if not isinstance(node, yaml.ScalarNode) or is_null(node):
        check.wrong_type(node, what, "a duration such as 90d")
        return None
    try:
        return parse_duration(str(node.value))
    except ValueError as exc:
        check.add(node, str(exc))
        return None


def warn_rotation(
    check: Checker, key: str, fields: dict[str, Entry], ttl: int | None, rotate_after: int | None
) -> None:
    """`rotate_after` not shorter than `ttl`: the token expires before it is rotated."""
    if ttl is None or rotate_after is None or rotate_after < ttl:
        return
    mark = fields["rotate_after"].value.start_mark
    check.warnings.append(Problem(
        check.filename, mark.line + 1, mark.column + 1,
        f"warning: rotate_after of {quote(key)} is not shorter than its ttl, so the token "
        "expires before it is rotated (make rotate_after shorter than ttl)",
    ))
