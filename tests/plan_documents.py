"""Every JSON plan the suite writes fits the shipped plan schema (`pstokens schema plan`).

Each JSON plan pstokens writes is made by `plan_document` (`plan --format json`,
the MCP and REST answers, the document policies read) or `render_saved` (`plan
--out`), both in pstokens/render/json.py. This plugin (loaded by tests/conftest.py)
wraps the two in the test process before any test module imports them, checks each
document they return, and fails the test (setup, call or teardown) that wrote one
the schema refuses. A plan written by a pstokens subprocess is checked by the helper
that ran it (`check_output`).

The schema is compiled once per worker with jsonschema-rs: the `jsonschema` package
takes 45 s on the 20,000-token plan tests/render/test_saved_plan.py writes, and
jsonschema-rs 0.1 s; tests/test_plan_documents.py holds the two to the same verdicts.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

import pstokens.render.json as writer
from pstokens.schemas import shipped

# What the documents written since the current test phase began broke, in words.
FOUND: list[str] = []


@functools.cache
def validator() -> Any:
    """The shipped plan schema, compiled once per process."""
    return jsonschema_rs.validator_for(json.loads(shipped("plan")))


def problems(document: Any) -> list[str]:
    """What in `document` the plan schema refuses, each at its JSON path."""
    return [f"/{'/'.join(str(p) for p in error.instance_path)}: {error.message}"
            for error in validator().iter_errors(document)]


def check(document: Any, where: str) -> None:
    """Record what `document` (written by `where`) breaks; the test phase fails on it."""
    FOUND.extend(f"{where}: {problem}" for problem in problems(document)[:5])


def check_output(args: Sequence[str], stdout: str, cwd: Path) -> None:
    """Check the plans `pstokens ARGS`, run as a process in `cwd`, wrote: the JSON it
    printed with `plan --format json`, the file it saved with `plan --out FILE`."""
    if "plan" not in args:
        return
    if "json" in args and "--format" in args[:-1] and args[args.index("--format") + 1] == "json":
        check(json.loads(stdout), f"pstokens {' '.join(args)} (stdout)")
    if "--out" in args[:-1]:
        path = cwd / args[args.index("--out") + 1]
        if path.exists():
            check(json.loads(path.read_bytes()), f"pstokens {' '.join(args)} ({path.name})")


def _checked_document(original: Callable[[Any], dict[str, Any]]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def plan_document(plan: Any) -> dict[str, Any]:
        document = original(plan)
        check(document, "plan_document")
        return document
    return plan_document


def _checked_saved(original: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    @functools.wraps(original)
    def render_saved(plan: Any) -> bytes:
        payload = original(plan)
        check(json.loads(payload), "render_saved")
        return payload
    return render_saved


def _install() -> None:
    """Wrap the writers where they live and wherever a module already holds them."""
    wrapped = {writer.plan_document: _checked_document(writer.plan_document),
               writer.render_saved: _checked_saved(writer.render_saved)}
    originals = {id(function): checked for function, checked in wrapped.items()}
    for name, module in list(sys.modules.items()):
        if name == "pstokens" or name.startswith("pstokens."):
            for attribute, value in list(vars(module).items()):
                if id(value) in originals:  # the very function (it is alive in `wrapped`)
                    setattr(module, attribute, originals[id(value)])


_install()


def fail_on_found() -> None:
    """Fail the current test phase if a document written during it broke the schema."""
    if FOUND:
        found = list(FOUND)
        FOUND.clear()
        pytest.fail("a JSON plan the test wrote does not fit the plan schema "
                    "(pstokens schema plan):\n  " + "\n  ".join(found), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    FOUND.clear()
    yield
    fail_on_found()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    FOUND.clear()
    yield
    fail_on_found()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item,
                            nextitem: pytest.Item | None) -> Generator[None, None, None]:
    FOUND.clear()
    yield
    fail_on_found()
