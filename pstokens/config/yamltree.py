"""Reads YAML text into PyYAML nodes, which keep the position of every key and value.

Loaders drop positions and silently keep the last of duplicate keys, so the
schema walk works on nodes instead. This is also where pstokens refuses what a
config never needs and an attacker could abuse: aliases (the "billion laughs"),
tags that build objects, deep nesting, and more than MAX_NODES values.
"""

from __future__ import annotations

import yaml

from pstokens.config.wording import quote
from pstokens.errors import ConfigError, Problem

MAX_NODES = 100_000
MAX_DEPTH = 32

_CORE = "tag:yaml.org,2002:"
# Everything SafeLoader resolves by itself; any other tag is refused.
_SAFE_NAMES = "null bool int float str seq map binary timestamp set omap pairs merge"
SAFE_TAGS = frozenset(_CORE + name for name in _SAFE_NAMES.split())

# Parser wording, turned into words a config author knows.
_PLAIN = (
    ("'<block mapping start>'", "a key indented differently from the lines above"),
    ("'<block sequence start>'", "a list item indented differently from the lines above"),
    ("<block end>", "the end of the indented block"),
    ("'<stream end>'", "the end of the file"),
    ("'<document start>'", "the end of the document"),
    ("but found '?'", "but found a key"),
    ("but found '-'", "but found a list item"),
    ("found character '\\t' that cannot start any token", "found a tab: indent with spaces"),
    ("that cannot start any token", "that cannot start a value (quote the value)"),
    ("found unexpected end of stream", "the file ends before the closing quote"),
    (
        "mapping values are not allowed here",
        "unexpected ':' (quote a value that holds ': ', or fix the indentation)",
    ),
    ("could not find expected ':'", "expected ':' after a key"),
    ("while parsing a block mapping", "in the mapping that starts"),
    ("while parsing a block collection", "in the list that starts"),
    ("while parsing a flow sequence", "in the [ list that starts"),
    ("while parsing a flow mapping", "in the { mapping that starts"),
    ("while scanning a quoted scalar", "in the quoted string that starts"),
    ("while scanning a simple key", "in the key that starts"),
)


class _Stop(Exception):
    """Raised mid-composition when going on would cost too much."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Composer(yaml.SafeLoader):
    """SafeLoader's composer, refusing aliases and odd tags and bounding its work."""

    def __init__(self, text: str, filename: str) -> None:
        super().__init__(text)
        self.filename = filename
        self.refused: list[Problem] = []
        self._depth = 0
        self._nodes = 0
        self._aliases: set[str] = set()

    def problem(self, mark: yaml.Mark, message: str) -> Problem:
        return Problem(self.filename, mark.line + 1, mark.column + 1, message)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            # One problem per anchor: a billion-laughs file repeats each many times.
            if event.anchor not in self._aliases:
                self._aliases.add(event.anchor)
                self.refused.append(
                    self.problem(
                        event.start_mark,
                        f"YAML aliases (*{event.anchor}) are not supported: "
                        "write the value out where it is used",
                    )
                )
            return yaml.ScalarNode(_CORE + "null", "", event.start_mark, event.end_mark)
        mark: yaml.Mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Stop(self.problem(mark, f"the config holds more than {MAX_NODES} values"))
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Stop(self.problem(mark, f"the config nests deeper than {MAX_DEPTH} levels"))
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and node.tag not in SAFE_TAGS:
            tag = node.tag.replace(_CORE, "!!")
            self.refused.append(
                self.problem(
                    node.start_mark,
                    f"tag {quote(tag)} is not allowed: pstokens.yaml holds plain values only",
                )
            )
        return node


def compose(text: str, filename: str) -> yaml.Node | None:
    """The root node of `text` (None if it holds no document), or ConfigError."""
    loader: _Composer | None = None
    try:
        loader = _Composer(text, filename)
        root: yaml.Node | None = loader.get_single_node()
    except _Stop as stop:
        raise ConfigError(_refused(loader, stop.problem)) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError([_reader_problem(exc, text, filename)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_refused(loader, _syntax_problem(exc, filename))) from None
    except yaml.YAMLError as exc:
        problem = Problem(filename, 1, 1, f"invalid YAML: {exc}")
        raise ConfigError(_refused(loader, problem)) from None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.refused:
        raise ConfigError(sorted(loader.refused, key=_position))
    return root


def _position(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.column


def _refused(loader: _Composer | None, last: Problem) -> list[Problem]:
    earlier = loader.refused if loader is not None else []
    return sorted([*earlier, last], key=_position)


def _syntax_problem(exc: yaml.MarkedYAMLError, filename: str) -> Problem:
    if exc.problem == "but found another document":
        message = "the file holds more than one YAML document (---): keep one"
    elif exc.context and exc.context.startswith("found duplicate anchor"):
        message = "invalid YAML: " + exc.context.split(";")[0].replace("found ", "")
    else:
        message = "invalid YAML: " + _plain(exc.problem or "syntax error")
        if exc.context and exc.context_mark is not None:
            where = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
            message += f" ({_plain(exc.context)} at {where})"
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(filename, line, column, message)


def _plain(text: str) -> str:
    for parser_words, plain_words in _PLAIN:
        text = text.replace(parser_words, plain_words)
    return text


def _reader_problem(exc: yaml.reader.ReaderError, text: str, filename: str) -> Problem:
    position = exc.position if 0 <= exc.position <= len(text) else 0
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return Problem(
        filename,
        line,
        column,
        f"the file holds the character U+{character:04X}, which YAML does not allow",
    )
