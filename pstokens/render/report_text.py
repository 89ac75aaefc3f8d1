"""The access review as a table for a terminal, fitted to its width.

KEY is the config key managing the token (`= name` when it is the token's
name, `-` for a token pstokens does not manage). Columns keep their natural
width while the line fits; past that the widest wrappable ones (key,
accesses, findings) give way first and their cells wrap between words, never
inside one (nor inside an escape). Names are quoted and never wrap, so no
name starts a line.
Laid out with textwrap rather than rich's Table: rich took 1.1-1.7 s of CPU
for 1,000 tokens, this takes a tenth of that. Names are escaped (`safe`).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

import click

from pstokens.engine.inventory.report import Report, TokenRow
from pstokens.render.escape import name as shown_name
from pstokens.render.operations import escalation_text, operations_count, short_escalation
from pstokens.render.rules import (
    day,
    duration,
    safe,
    short_finding,
    short_unused,
    unused_text,
    violation_text,
)

HEADERS = ("TOKEN", "ID", "KEY", "ACCESSES", "CREATED", "EXPIRES", "LAST USED", "FINDINGS")
# Columns that wrap when the line is too long, and the narrowest each may get
# (wider when a word in it is longer: words are never broken).
FLEXIBLE = {2: 6, 3: 22, 7: 12}
# Left out, in this order, on a terminal too narrow for every column (words unbroken).
DROPPABLE = (4, 1, 6)
GAP = "  "
INDENT = "  "  # before each wrapped line of a cell
DEFAULT_WIDTH = 120


def render_report_text(report: Report, width: int | None = None) -> str:
    if width is None:
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    lines = [headline(report), ""]
    if report.tokens:
        lines += _table([_cells(report, row) for row in report.tokens],
                        [bool(row.violations) for row in report.tokens], max(width, 40))
        lines.append("")
    else:
        lines += ["The organization has no service tokens.", ""]
    if report.violations:
        lines.append(click.style(f"Rule violations ({len(report.violations)}):", bold=True))
        lines += [click.style(f"  {violation_text(v)}", fg="red") for v in report.violations]
        lines.append("")
    if report.escalations:
        lines.append(click.style(f"Escalation paths ({len(report.escalations)}):", bold=True))
        lines += [f"  {escalation_text(e)}" for e in report.escalations]
        lines.append("")
    if report.unused:
        lines.append(click.style(f"Unused tokens ({len(report.unused)}):", bold=True))
        lines += [f"  {unused_text(u, report.generated_at)}" for u in report.unused]
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def headline(report: Report) -> str:
    return f"Service tokens of organization {safe(report.organization)}: {summary_words(report)}."


def summary_words(report: Report) -> str:
    """`7 tokens (4 managed, 3 unmanaged) on 3 databases; 1 rule violation, ...`."""
    s = report.summary()
    text = (f"{_count(s['tokens'], 'token')} ({s['managed']} managed, {s['unmanaged']} "
            f"unmanaged) on {_count(s['databases'], 'database')}")
    if report.rules is not None:
        text += (f"; {_count(s['violations'], 'rule violation')}, "
                 f"{s['unused']} unused for {duration(report.rules.unused_after)}")
    if s["escalations"]:
        text += f"; {_count(s['escalations'], 'escalation path')}"
    return text + f" (as of {report.generated_at:%Y-%m-%d %H:%M} UTC)"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _cells(report: Report, row: TokenRow) -> list[str]:
    accesses = "\n".join(
        f"{'organization' if db is None else safe(db)}: {', '.join(names)}"
        for db, names in row.accesses.items()
    )
    if accesses:
        accesses += f"\n= {operations_count(row.operations, row.not_described)}"
    findings = [short_finding(v) for v in row.violations]
    findings += [short_escalation(e) for e in row.escalations]
    if row.unused is not None:
        findings.append(short_unused(row.unused, report.generated_at))
    expires = day(row.expires_at, "never") + (" (expired)" if row.expired else "")
    return [
        shown_name(row.name), safe(row.id), _key(row), accesses or "-", day(row.created_at),
        expires, day(row.last_used_at, "never"), "\n".join(findings),
    ]


def _key(row: TokenRow) -> str:
    """The managed key; `= name` when it is the token's name, `-` when unmanaged."""
    if row.key is None:
        return "-"
    return "= name" if row.key == row.name else safe(row.key)


def _table(rows: list[list[str]], alarming: list[bool], width: int) -> list[str]:
    columns = _columns(rows, width)
    headers = [HEADERS[i] for i in columns]
    rows = [[row[i] for i in columns] for row in rows]
    widths = [max([len(h), *(_longest(r[n]) for r in rows)]) for n, h in enumerate(headers)]
    mins = {n: _narrowest(rows, n, FLEXIBLE[i]) for n, i in enumerate(columns) if i in FLEXIBLE}
    _fit(widths, width - len(GAP) * (len(widths) - 1), mins)
    out = [GAP.join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append(GAP.join("-" * w for w in widths))
    multi = any("\n" in cell or len(cell) > widths[n] for r in rows for n, cell in enumerate(r))
    for row, alarm in zip(rows, alarming, strict=True):
        wrapped = [_wrap(cell, w) for cell, w in zip(row, widths, strict=True)]
        for n in range(max(len(c) for c in wrapped)):
            parts = [(c[n] if n < len(c) else "").ljust(w)
                     for c, w in zip(wrapped, widths, strict=True)]
            if alarm and parts[-1].strip():
                parts[-1] = click.style(parts[-1], fg="red")
            out.append(GAP.join(parts).rstrip())
        if multi:
            out.append("")
    return out[:-1] if multi else out


def _columns(rows: list[list[str]], width: int) -> list[int]:
    """Every column, less CREATED, then ID, then LAST USED, while even their narrowest
    does not fit."""
    columns = list(range(len(HEADERS)))
    for dropped in DROPPABLE:
        natural = {i: max([len(HEADERS[i]), *(_longest(r[i]) for r in rows)]) for i in columns}
        narrowest = sum(min(_narrowest(rows, i, FLEXIBLE[i]) if i in FLEXIBLE else natural[i],
                            natural[i]) for i in columns)
        narrowest += len(GAP) * (len(columns) - 1)
        if narrowest <= width:
            break
        columns.remove(dropped)
    return columns


def _fit(widths: list[int], room: int, mins: dict[int, int]) -> None:
    """Narrow the widest flexible column, a step at a time, until the row fits."""
    while sum(widths) > room:
        shrinkable = [i for i, low in mins.items() if widths[i] > low]
        if not shrinkable:
            return
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= max(1, min(sum(widths) - room, widths[widest] - mins[widest],
                                     widths[widest] - _second(widths, shrinkable, widest)))


def _second(widths: Sequence[int], candidates: Sequence[int], widest: int) -> int:
    others = [widths[i] for i in candidates if i != widest]
    return max(others) if others else 0


def _longest(cell: str) -> int:
    return max((len(line) for line in cell.split("\n")), default=0)


def _narrowest(rows: list[list[str]], column: int, least: int) -> int:
    """A flexible column's narrowest width: `least`, or its longest word (indented
    as a wrapped line is)."""
    return max([least, *(len(INDENT + word) for row in rows for word in row[column].split())])


def _wrap(cell: str, width: int) -> list[str]:
    if len(cell) <= width and "\n" not in cell:
        return [cell]
    lines: list[str] = []
    for line in cell.split("\n"):
        lines += textwrap.wrap(line, width, break_on_hyphens=False, break_long_words=False,
                               subsequent_indent=INDENT) or [""]
    return lines
