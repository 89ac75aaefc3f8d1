"""MCP tool arguments checked by name, with one-line errors an agent can act on.

The SDK answers a bad argument with pydantic's multi-line report (and ignores
an unknown one). An agent that sent `accesses` for `access`, or a database
name with a space, should read one line naming the argument and what is
wrong, never the value it sent (it may be a secret pasted in the wrong place).
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from pydantic import ValidationError

_MAX_PROBLEMS = 3


class CheckedServer(MCPServer):
    """An `MCPServer` that refuses unknown arguments and words argument errors in one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parameters: dict[str, tuple[str, ...]] = {}

    def add_checked_tool(self, fn: Callable[..., Any], name: str, **options: Any) -> None:
        """`add_tool`, and remember the names of `fn`'s arguments."""
        self._parameters[name] = tuple(inspect.signature(fn).parameters)
        self.add_tool(fn, name=name, **options)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        known = self._parameters.get(name)
        if known is not None:
            unknown = [argument for argument in arguments if argument not in known]
            if unknown:
                raise ToolError(f"{name}: {_unknown(unknown[0], known)}")
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(f"{name}: {argument_problems(exc.__cause__)}") from None
            raise


def _unknown(argument: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(argument, known, n=1)
    suggestion = f' (did you mean "{close[0]}"?)' if close else ""
    return f'unknown argument "{_printable(argument)}"{suggestion}; it takes ' + ", ".join(known)


def argument_problems(error: ValidationError, noun: str = "argument") -> str:
    """`argument "x": what is wrong; ...`: where and what, never the value. `noun` is
    what the caller calls a field (an MCP tool's argument, a REST body's field)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False)[:_MAX_PROBLEMS]:
        where = ".".join(str(part) for part in item["loc"])
        if item["type"] == "missing":
            problems.append(f'{noun} "{where}" is required')
        else:
            message = item["msg"]
            problems.append(f'{noun} "{where}": {message[:1].lower()}{message[1:]}')
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def _printable(text: str) -> str:
    # An argument name is the caller's text: keep the answer on one line.
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:100]
