"""Reads YAML text into PyYAML nodes, which keep the position of every key and value.

Loaders drop positions and silently keep the last of duplicate keys, so the
schema walk works on nodes instead. This is also where pstokens refuses what a
config never needs and an attacker could abuse, by what it costs to read rather
than by size: aliases (the "billion laughs": none is ever expanded), tags that
build objects, nesting deeper than MAX_DEPTH, and more than MAX_NODES values
(each costs a few hundred bytes of memory). docs/limits.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from pstokens.config.wording import quote
from pstokens.errors import ConfigError, Problem

# About 35,000 tokens with accesses on two databases: 280,000 values for 20,000.
MAX_NODES = 500_000
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


class _Refusing(yaml.composer.Composer):
    """PyYAML's composer, refusing aliases and odd tags and bounding its work.

    It composes from whichever parser it is mixed with: libyaml's (in C) on
    the quick path, PyYAML's own (in Python) on the careful one.
    """

    filename: str

    if TYPE_CHECKING:  # supplied by the parser this is mixed with

        def check_event(self, *choices: Any) -> bool: ...
        def peek_event(self) -> Any: ...
        def get_event(self) -> Any: ...
        def dispose(self) -> None: ...

    def start(self, filename: str) -> None:
        self.filename = filename
        self.refused: list[Problem] = []
        self._depth = 0
        self._nodes = 0
        self._aliases: set[str] = set()

    def problem(self, mark: yaml.Mark, message: str) -> Problem:
        return Problem(self.filename, mark.line + 1, mark.column + 1, message)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
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
        mark: yaml.Mark = self.peek_event().start_mark
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Stop(self.problem(mark, f"the config holds more than {MAX_NODES:,} values"))
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


class _Composer(_Refusing, yaml.SafeLoader):
    """Everything in Python: slow on a large file, but its errors are the ones
    pstokens words for people, and it is the reference the quick path defers to."""

    def __init__(self, text: str, filename: str) -> None:
        yaml.SafeLoader.__init__(self, text)
        self.start(filename)


try:  # libyaml is part of PyYAML's wheels, but PyYAML can be built without it
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - every supported wheel has it
    _QuickComposer: Callable[[str, str], _Refusing] | None = None
else:

    class _Quick(_Refusing, CParser, yaml.resolver.Resolver):
        """libyaml scans and parses; the composing, and every refusal, stays in Python.

        See `compose_quickly` for when it is used.
        """

        def __init__(self, text: str, filename: str) -> None:
            CParser.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.start(filename)

    _QuickComposer = _Quick


class Declined(Exception):
    """`compose_quickly` will not vouch for this text: compose it carefully."""


# Characters of the files libyaml composes exactly as PyYAML does (checked by
# a differential test): printable ASCII without tags, block scalars,
# directives, anchors or aliases, plus newlines. A file with anything else
# takes the careful path.
_QUICK_TEXT = re.compile(r"[\n\x20-\x7e]*")
_QUICK_REFUSED = re.compile(r"[!|>%&*@`]")


def compose_quickly(text: str, filename: str) -> yaml.Node | None:
    """The root node of a plain `text`, composed by libyaml; else `Declined`, or
    ConfigError when the text crosses a limit (no need to compose it again).

    About seven times quicker than `compose` on a config of 1,000 tokens. The
    values equal `compose`'s, but libyaml places empty values differently and
    words its errors its own way: a caller that finds a problem in the result
    reports it from `compose` instead.
    """
    if (
        _QuickComposer is None
        or _QUICK_TEXT.fullmatch(text) is None
        or _QUICK_REFUSED.search(text) is not None
    ):
        raise Declined
    composer = None
    try:
        composer = _QuickComposer(text, filename)
        root: yaml.Node | None = composer.get_single_node()
    except _Stop as stop:  # a limit is crossed however the file is composed
        raise ConfigError([stop.problem]) from None
    except Exception:  # noqa: BLE001 - whatever libyaml objects to, `compose` words
        raise Declined from None
    finally:
        if composer is not None:
            composer.dispose()
    if composer.refused:
        raise Declined
    return root


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
