"""One error tree: every `PstokensError` subclass is drawn in `pstokens.errors`' docstring.

The walk imports every pstokens module first, so an error defined anywhere
(engine, api, adapters ...) is found; the drawing then must name each one,
nested under its own base.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pstokens
import pstokens.errors
from pstokens.errors import PstokensError


def every_error() -> list[type[PstokensError]]:
    """PstokensError and all its subclasses, after importing every pstokens module."""
    for module in pkgutil.walk_packages(pstokens.__path__, "pstokens."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[PstokensError]] = []
    todo: list[type[PstokensError]] = [PstokensError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def drawn_tree() -> dict[str, str | None]:
    """Each class named in the drawing, with the class it is drawn under (None: the root)."""
    doc = pstokens.errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^\s{4}((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)\b", line)
        if match is None:
            continue
        depth = len(match.group(1)) // 4 + (1 if "──" in line else 0)
        name = match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_every_error_class_is_drawn_in_the_tree() -> None:
    drawn = drawn_tree()
    missing = sorted(f"{e.__module__}.{e.__name__}" for e in every_error()
                     if e.__name__ not in drawn)
    assert missing == [], "add these to the tree in pstokens/errors.py"


def test_each_error_is_drawn_under_its_own_base() -> None:
    drawn = drawn_tree()
    wrong = {e.__name__: (drawn.get(e.__name__), e.__base__.__name__)
             for e in every_error() if e is not PstokensError
             and drawn.get(e.__name__) != e.__base__.__name__}
    assert wrong == {}


def test_the_tree_draws_no_class_that_does_not_exist() -> None:
    names = {e.__name__ for e in every_error()}
    assert sorted(set(drawn_tree()) - names) == []


def test_error_names_are_unique() -> None:
    """The adapters' table and the tree both name errors by class name."""
    names = [e.__name__ for e in every_error()]
    assert len(names) == len(set(names))
