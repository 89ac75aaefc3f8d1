"""A Markdown view of a plan for CI job summaries and pull-request comments.

GitHub caps a comment at 65,536 characters; the view stays under 60,000
however large the plan, cutting table rows and saying how many it cut.
"""

from __future__ import annotations

from pstokens.engine.plan import Action, Change, Plan
from pstokens.render.text import summary_line

LIMIT = 60_000


def render_markdown(plan: Plan, limit: int = LIMIT) -> str:
    head = [f"## pstokens plan for `{plan.organization}`", "", f"**{summary_line(plan)}**", ""]
    sections: list[tuple[str, list[str], list[str]]] = []
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
            [f"| {_cell(d.key)} | {_cell(d.token_id)} | {_cell(d.description)} |"
             for d in plan.drift],
        ))
    if plan.skipped:
        sections.append((
            "Skipped (prevent_destroy)", ["| token | token ID | what |", "|---|---|---|"],
            [f"| {_cell(s.key)} | {_cell(s.token_id)} | {_cell(s.description)} |"
             for s in plan.skipped],
        ))
    if plan.unmanaged:
        sections.append((
            "Unmanaged tokens", ["| name | token ID |", "|---|---|"],
            [f"| {_cell(u.name)} | {_cell(u.id)} |" for u in plan.unmanaged],
        ))
    if plan.unsafe:
        head += [f"> **Unsafe:** {plan.unsafe}; apply needs `--force`.", ""]

    out = list(head)
    used = sum(len(line) + 1 for line in out)
    budget = limit - 400  # room for the notes about what was cut
    for title, table_head, rows in sections:
        block = [f"### {title} ({len(rows)})", "", *table_head]
        used += sum(len(line) + 1 for line in block)
        kept = 0
        for row in rows:
            if used + len(row) + 1 > budget:
                break
            block.append(row)
            used += len(row) + 1
            kept += 1
        if kept < len(rows):
            note = (f"_{len(rows) - kept} of {len(rows)} rows cut to stay under {limit:,} "
                    "characters; run `pstokens plan --format json` for all of them._")
            block += ["", note]
            used += len(note) + 2
        out += [*block, ""]
    return "\n".join(out)


def _row(change: Change) -> str:
    where = change.database
    if where is None and change.action in (Action.GRANT, Action.REVOKE):
        where = "(organization)"
    return (
        f"| {change.action} | {_cell(change.key or change.name)} | {_cell(change.token_id)} "
        f"| {_cell(where)} | {_cell(', '.join(change.accesses))} "
        f"| {_cell(change.reason)} |"
    )


def _cell(value: str | None) -> str:
    if not value:
        return ""
    return value.replace("|", "\\|").replace("\n", " ")
