"""The access review in Markdown, for a pull request, a wiki page or a job summary.

Findings come first (rule violations, unused tokens), then every token, then
who holds what on each database. GitHub caps a comment at 65,536 characters:
the page stays under 60,000 however large the organization, cutting table
rows from the end of each section and saying how many it cut.
"""

from __future__ import annotations

import re

from pstokens.engine.inventory.report import Report, TokenRow
from pstokens.render.escape import markdown
from pstokens.render.fit import Section, fit_sections
from pstokens.render.operations import escalation_finding, operations_count, short_escalation
from pstokens.render.report_text import summary_words
from pstokens.render.rules import day, finding, idle, safe, short_finding, short_unused

LIMIT = 60_000
_PLAIN_ACCESS = re.compile(r"[a-z0-9_]+")



def render_report_markdown(report: Report, limit: int = LIMIT) -> str:
    head = [f"## Service tokens of `{safe(report.organization)}`", "",
            f"**{cell(summary_words(report))}**", ""]
    now = report.generated_at
    sections: list[Section] = []
    if report.violations:
        sections.append(("Rule violations", ["| token | ID | key | finding |", "|---|---|---|---|"],
                         [f"| {_who(v.name, v.token_id, v.key)} | {cell(finding(v))} |"
                          for v in report.violations]))
    if report.escalations:
        sections.append(("Escalation paths",
                         ["| token | ID | key | finding |", "|---|---|---|---|"],
                         [f"| {_who(e.name, e.token_id, e.key)} | {cell(escalation_finding(e))} |"
                          for e in report.escalations]))
    if report.unused:
        sections.append(("Unused tokens", ["| token | ID | key | idle |", "|---|---|---|---|"],
                         [f"| {_who(u.name, u.token_id, u.key)} | {cell(idle(u, now))} |"
                          for u in report.unused]))
    sections.append((
        "Tokens",
        ["| token | ID | key | organization | databases | operations | created | expires "
         "| last used | findings |", "|---|---|---|---|---|---|---|---|---|---|"],
        [_token_row(report, row) for row in report.tokens],
    ))
    if report.databases:
        sections.append(("Who holds what on each database",
                         ["| database | token | ID | accesses |", "|---|---|---|---|"],
                         [f"| {cell(db)} | {cell(safe(row.name))} | `{row.id}` "
                          f"| {_accesses(row.accesses[db])} |"
                          for db in report.databases for row in report.tokens
                          if db in row.accesses]))
    return fit_sections(head, sections, limit,
                        see_all="`pstokens report --format json` (or html)")


def cell(text: str | None) -> str:
    """Untrusted text made inert in a table cell: no HTML, no Markdown, no new row."""
    return markdown(text)


def _access(name: str) -> str:
    return f"`{name}`" if _PLAIN_ACCESS.fullmatch(name) else cell(name)


def _accesses(names: tuple[str, ...]) -> str:
    return ", ".join(_access(n) for n in names)


def _who(name: str | None, token_id: str, key: str | None) -> str:
    return f"{cell(safe(name))} | `{token_id}` | {cell(key) if key else '_unmanaged_'}"


def _token_row(report: Report, row: TokenRow) -> str:
    databases = "<br>".join(f"{cell(db)}: {_accesses(names)}"
                            for db, names in row.accesses.items() if db is not None)
    findings = [cell(short_finding(v)) for v in row.violations]
    findings += [cell(short_escalation(e)) for e in row.escalations]
    if row.unused is not None:
        findings.append(cell(short_unused(row.unused, report.generated_at)))
    expires = day(row.expires_at, "never") + (" (expired)" if row.expired else "")
    ops = cell(operations_count(row.operations, row.not_described))
    return (f"| {_who(row.name, row.id, row.key)} | {_accesses(row.accesses.get(None, ()))} "
            f"| {databases} | {ops} | {day(row.created_at)} | {expires} "
            f"| {day(row.last_used_at, 'never')} | {'<br>'.join(findings)} |")
