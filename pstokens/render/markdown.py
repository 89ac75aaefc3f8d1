"""A Markdown view of a plan for CI job summaries and pull-request comments.

GitHub caps a comment at 65,536 characters; the view stays under 60,000
however large the plan, cutting table rows and saying how many it cut. Every
value from the API is escaped: a name must not inject HTML or break a table.
"""

from __future__ import annotations

from pstokens.engine.planning.arguments import check_plan
from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.render import rules, words
from pstokens.render.escape import markdown as cell
from pstokens.render.fit import Section, fit_sections
from pstokens.render.operations import operations_note

LIMIT = 60_000


def render_markdown(plan: Plan, limit: int = LIMIT) -> str:
    """The plan as Markdown, at most `limit` changes listed (CI summaries, PR comments)."""
    check_plan(plan, "render_markdown's plan")
    head = [f"## pstokens plan for `{cell(plan.organization)}`", "",
            f"**{cell(words.summary_line(plan))}**", ""]
    sections: list[Section] = []
    if plan.changes:
        sections.append((
            "Changes",
            ["| action | token | token ID | database | accesses | reason |",
             "|---|---|---|---|---|---|"],
            [_row(c) for c in plan.changes],
        ))
    if plan.drift:
        sections.append((
            "Changed outside pstokens", ["| token | token ID | what |", "|---|---|---|"],
            [f"| {cell(d.key)} | {cell(d.token_id)} | {words.drift(d, cell)} |"
             for d in plan.drift],
        ))
    if plan.skipped:
        sections.append((
            "Skipped (prevent_destroy)", ["| token | token ID | what |", "|---|---|---|"],
            [f"| {cell(s.key)} | {cell(s.token_id)} | {cell(words.skipped(s))} |"
             for s in plan.skipped],
        ))
    if plan.unmanaged:
        sections.append((
            "Unmanaged tokens", ["| name | token ID |", "|---|---|"],
            [f"| {cell(u.name) if u.name is not None else '(no name)'} | {cell(u.id)} |"
             for u in plan.unmanaged],
        ))
    if plan.retiring:
        sections.append((
            "Retiring (overlap, retire_when_unused)", ["| token | token ID | when |",
                                                        "|---|---|---|"],
            [f"| {cell(r.key)} | {cell(r.token_id)} | {cell(words.retiring(r))} |"
             for r in plan.retiring],
        ))
    if plan.leases:
        sections.append((
            "Leases", ["| lease |", "|---|"], [f"| {words.lease(v, cell)} |" for v in plan.leases],
        ))
    if plan.violations:
        sections.append((
            "Rule violations", ["| token | token ID | key | finding |", "|---|---|---|---|"],
            [f"| {cell(rules.safe(v.name))} | {cell(v.token_id)} | "
             f"{cell(v.key) if v.key else '(unmanaged)'} | {cell(rules.finding(v))} |"
             for v in plan.violations],
        ))
    if plan.denied:
        sections.append((
            "Policy violations", ["| policy | file | finding |", "|---|---|---|"],
            [f"| {cell(f.package)} | {cell(f.file)} | {cell(f.message)} |" for f in plan.denied],
        ))
    leak_warning = words.leak_warning(plan.leak_check, cell)
    cautions = [f for f in plan.policies if f not in plan.denied]
    if plan.warnings or plan.unused or leak_warning or cautions:
        sections.append((
            "Warnings", ["| warning |", "|---|"],
            [f"| {words.warning(w, cell)} |" for w in plan.warnings]
            + [f"| {cell(rules.unused_warning(u))} |" for u in plan.unused]
            + [f"| policy {cell(f.package)}: {cell(f.message)} |" for f in cautions]
            + ([f"| {leak_warning} |"] if leak_warning else []),
        ))
    if note := words.leak_note(plan.leak_check, cell):
        head += [f"> **Note:** {note}", ""]
    if plan.denied:
        head += [f"> **Denied:** {words.DENIED_NOTE}", ""]
    for item in plan.unsafe:
        head += [f"> **Unsafe:** {words.unsafe(item, cell)}; apply needs `--force`.", ""]

    return fit_sections(head, sections, limit, see_all="`pstokens plan --format json`")


def _row(change: Change) -> str:
    where = cell(change.database)
    if change.database is None and change.action in (Action.GRANT, Action.REVOKE):
        where = "(organization)"
    who = cell(change.key) if change.key is not None else words.unmanaged_label(
        change, cell(change.name) if change.name is not None else "(no name)")
    return (
        f"| {change.action} | {who} | {cell(change.token_id)} "
        f"| {where} | {cell(', '.join(change.accesses))}{_note(change)} "
        f"| {'; '.join(cell(w) for w in _whys(change) if w)} |"
    )


def _whys(change: Change) -> list[str]:
    """The reason, then for a new token what becomes of the old one and where its secret goes."""
    if not change.makes_token:
        return [words.reason(change)]
    return [words.reason(change), words.retire(change, str), words.verify(change, str),
            words.deliver(change, str)]


def _note(change: Change) -> str:
    note = operations_note(change)
    return "" if note is None else f" ({cell(note)})"
