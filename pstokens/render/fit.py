"""Markdown tables cut to fit a size, for job summaries and pull-request comments.

GitHub caps a comment at 65,536 characters. Plans and reports stay under a
limit however large: each section gets a fair share of the room left (a long
list of one kind cannot crowd out the others; a share not used carries on),
and a section that is cut says how many rows it lost and where to see them all.
"""

from __future__ import annotations

# A section: its title, its table's head lines, its rows.
Section = tuple[str, list[str], list[str]]


def fit_sections(head: list[str], sections: list[Section], limit: int, *, see_all: str) -> str:
    """`head`, then each section's table, cut to stay under `limit` characters.
    `see_all` names what shows every row (e.g. "`pstokens plan --format json`")."""
    out = list(head)
    used = sum(len(line) + 1 for line in out)
    budget = limit - 200 * (len(sections) + 1)  # room for the notes about what was cut
    for number, (title, table_head, rows) in enumerate(sections):
        block = [f"### {title} ({len(rows)})", "", *table_head]
        used += sum(len(line) + 1 for line in block)
        allowance = used + (budget - used) // (len(sections) - number)
        kept = 0
        for row in rows:
            if used + len(row) + 1 > allowance:
                break
            block.append(row)
            used += len(row) + 1
            kept += 1
        if kept < len(rows):
            note = (f"_{len(rows) - kept} of {len(rows)} rows cut to stay under {limit:,} "
                    f"characters; run {see_all} for all of them._")
            block += ["", note]
            used += len(note) + 2
        out += [*block, ""]
    return "\n".join(out)
