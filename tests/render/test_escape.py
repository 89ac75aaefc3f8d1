"""Untrusted names in every view: property tests over arbitrary text.

Token names come from anyone with `write_service_tokens`, and a saved plan
from anyone who can write a file. Whatever a name holds, the text view keeps
one line per item with no control character and no name at the start of a
line, and the Markdown view keeps its table shape with no live HTML or link.
"""

from __future__ import annotations

import re
import unicodedata

import click
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pstokens.engine.planning.outcome import Outcome, Status
from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.engine.rules.findings import PlanWarning, UnmanagedToken, WarningKind
from pstokens.render import render_markdown, render_text
from pstokens.render.apply import outcome_line
from pstokens.render.escape import markdown, terminal

names = st.text(min_size=0, max_size=40)


def plan_with(names: list[str]) -> Plan:
    unmanaged = tuple(UnmanagedToken(f"u{i}", n) for i, n in enumerate(names))
    deletes = tuple(Change(Action.DELETE, None, f"d{i}", name=n, cause=Cause.UNMANAGED)
                    for i, n in enumerate(names))
    warnings = tuple(PlanWarning(WarningKind.NAMESAKE, "k", (f"id{i}",)) for i in range(1))
    return Plan("acme", "L", 1, changes=Plan.ordered(deletes), unmanaged=unmanaged,
                warnings=warnings)


def hidden(text: str) -> list[str]:
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


# A name in double quotes, `"` and `\` inside written `\"` and `\\`.
QUOTED = r'"(?:[^"\\]|\\.)*"'


@settings(max_examples=200, deadline=None)
@given(st.lists(names, min_size=1, max_size=5))
@example(["-"])  # once printed as a second delete line
@example(["- prod-deploy  id abc123def456"])
def test_text_view_has_no_control_characters_and_one_line_per_item(items: list[str]) -> None:
    plain = click.unstyle(render_text(plan_with(items)))
    assert hidden(plain) == []
    lines = plain.splitlines()
    assert len([ln for ln in lines if ln.startswith("  - ")]) == len(items)
    assert len([ln for ln in lines if re.search(r"  id u\d+$", ln)]) == len(items)
    # Each name is one quoted string, never the start of a line.
    assert len([ln for ln in lines if re.fullmatch(rf"  - {QUOTED} \(unmanaged\)  id d\d+  "
                                                   r"\(unmanaged.policy is delete\)", ln)]) \
        == len(items)
    assert len([ln for ln in lines if re.fullmatch(rf"  {QUOTED}  id u\d+", ln)]) == len(items)
    assert lines[-1].startswith("Plan: ")


@settings(max_examples=200, deadline=None)
@given(st.lists(names, min_size=1, max_size=5))
def test_markdown_view_keeps_its_tables_and_holds_no_html(items: list[str]) -> None:
    text = render_markdown(plan_with(items))
    assert "<" not in text and hidden(text) == []
    for line in text.splitlines():
        if line.startswith("| "):
            columns = len(re.findall(r"(?<!\\)\|", line))
            assert columns in (7, 3, 2)  # changes, unmanaged, warnings tables


@given(names)
def test_escapes_are_idempotent_on_safe_text_and_total_on_any(name: str) -> None:
    assert hidden(terminal(name)) == [] and "\n" not in terminal(name)
    assert "<" not in markdown(name) and "\n" not in markdown(name)
    if name.isascii() and name.isprintable():
        assert terminal(name) == name


@given(names)
def test_apply_lines_escape_names(name: str) -> None:
    change = Change(Action.DELETE, None, "t1", name=name, cause=Cause.UNMANAGED)
    line = outcome_line(Outcome(change, Status.DONE, "t1"))
    assert hidden(line) == [] and "\n" not in line
    assert re.fullmatch(rf"{QUOTED} \[t1\]: deleted", line)  # the name cannot pass for more
