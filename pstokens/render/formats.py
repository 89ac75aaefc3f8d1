"""Every output format, by the kind of document it shows: one registry commands look up.

Like octoDNS's plan outputs, a command names a format and gets its renderer; its
`--format` choices are the registry's names, so they cannot drift. Renderers
load on first use: a command that prints text never imports the HTML or SARIF one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Out = TypeVar("Out", str, bytes)


@dataclass(frozen=True)
class Format:
    """One way to show a document. `renderer` is "module:function" (None: the
    command's own lines are the output); it takes `takes` by keyword."""

    name: str
    renderer: str | None
    takes: tuple[str, ...] = ()
    # A document (JSON, SARIF, HTML...) holds stdout alone; text is lines for a person.
    document: bool = True
    # Printed with a final newline: the renderer's text ends without one.
    newline: bool = False

    def function(self) -> Callable[..., Any]:
        if self.renderer is None:
            raise LookupError(f"format {self.name} has no renderer")
        module, name = self.renderer.split(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Family(Generic[Out]):
    """The formats of one kind of document; `given` names what a command hands over."""

    document: str
    given: tuple[str, ...]
    formats: tuple[Format, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.formats)

    def __getitem__(self, name: str) -> Format:
        for form in self.formats:
            if form.name == name:
                return form
        raise KeyError(f"{self.document} has no format {name!r}")

    def render(self, name: str, **given: Any) -> Out:
        """The document in format `name`, from what the command was given."""
        form = self[name]
        result: Out = form.function()(**{k: given[k] for k in form.takes})
        return result

    def without(self, needs: str, document: str) -> Family[Out]:
        """The formats that do without `needs` (a saved plan has no config)."""
        return Family(document, tuple(g for g in self.given if g != needs),
                      tuple(f for f in self.formats if needs not in f.takes))


def _text(renderer: str | None, *takes: str, newline: bool = False) -> Format:
    return Format("text", renderer, takes, document=False, newline=newline)


_R = "pstokens.render."

PLAN: Family[str] = Family("plan", ("plan", "config"), (
    _text(_R + "text:styled_text", "plan", newline=True),
    Format("json", _R + "json:render_json", ("plan",)),
    Format("markdown", _R + "markdown:render_markdown", ("plan",), newline=True),
    Format("sarif", _R + "sarif:render_plan_sarif", ("plan", "config")),
))
# `show PLANFILE` has the plan alone: SARIF locates findings in the config.
SAVED_PLAN: Family[str] = PLAN.without("config", "saved plan")

REPORT: Family[str] = Family("report", ("report", "config"), (
    _text(_R + "report_text:render_report_text", "report", newline=True),
    Format("markdown", _R + "report_markdown:render_report_markdown", ("report",)),
    Format("html", _R + "report_html:render_report_html", ("report",)),
    Format("json", _R + "report_json:render_report_json", ("report",)),
    Format("sarif", _R + "sarif:render_report_sarif", ("report", "config")),
))

# `validate`: text is its warnings and verdict, SARIF the problems as a log.
FINDINGS: Family[str] = Family(
    "validate findings", ("command", "files"), (
        _text(None),
        # One document for every file validated (FileFindings each).
        Format("sarif", _R + "sarif:render_files_sarif", ("command", "files")),
    ))

WHO_CAN: Family[str] = Family("who-can", ("able", "operation", "database"), (
    _text(_R + "whocan:who_can_text", "able", "operation", "database"),
    Format("json", _R + "whocan:who_can_json", ("able",)),
))

# `apply`: text is its step lines; JSON the result (or the refusal) on stdout.
APPLY_RESULT: Family[str] = Family("apply result", ("result", "interrupted"), (
    _text(None),
    Format("json", _R + "apply:render_result_json", ("result", "interrupted")),
))
APPLY_REFUSED: Family[str] = Family("apply refusal", ("exc",), (
    _text(None),
    Format("json", _R + "apply:render_refused_json", ("exc",)),
))

CALENDAR: Family[bytes] = Family("due dates", ("organization", "dates", "now"), (
    Format("ical", _R + "calendar:render_calendar", ("organization", "dates", "now")),
))

FAMILIES: Mapping[str, Family[Any]] = {f.document: f for f in (
    PLAN, SAVED_PLAN, REPORT, FINDINGS, WHO_CAN, APPLY_RESULT, APPLY_REFUSED, CALENDAR)}
