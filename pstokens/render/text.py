"""The Terraform-like text view of a plan, for people at a terminal.

Styling uses click's ANSI markup, which click.echo strips when the output is
not a terminal, so pipes and CI logs stay plain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import click

from pstokens.engine.plan import Action, Change, Plan


def render_text(plan: Plan) -> str:
    lines: list[str] = []
    by_key: dict[str | None, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_key[change.key].append(change)

    if plan.changes:
        lines.append(f'pstokens will make these changes in organization "{plan.organization}":')
        lines.append("")
        for key in sorted(by_key, key=lambda k: (k is None, k or "")):
            lines.extend(_token_block(key, by_key[key]))
    if plan.drift:
        lines.append(click.style("Changed outside pstokens since the last apply:", bold=True))
        lines.extend(f"  {d.key} ({d.token_id or 'no id'}): {d.description}" for d in plan.drift)
        lines.append("")
    if plan.skipped:
        lines.append(click.style("Skipped (prevent_destroy):", bold=True))
        lines.extend(f"  {s.key} ({s.token_id or 'no id'}): {s.description}" for s in plan.skipped)
        lines.append("")
    if plan.unmanaged:
        lines.append(click.style(
            f"Unmanaged tokens ({len(plan.unmanaged)}), in the organization but not in state:",
            bold=True,
        ))
        lines.extend(f"  {u.name or '(no name)'}  id {u.id}" for u in plan.unmanaged)
        lines.append("  Adopt them with `pstokens import`, list them in unmanaged.except, "
                     "or set unmanaged.policy.")
        lines.append("")
    if plan.unsafe:
        lines.append(click.style(f"Unsafe: {plan.unsafe}; apply needs --force.", fg="red"))
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines)


def summary_line(plan: Plan) -> str:
    if not plan.changes:
        return "No changes. The organization matches the configuration."
    s = plan.summary()
    return (
        f"Plan: {s['create']} to create, {s['replace']} to replace, {s['delete']} to delete, "
        f"{s['grant']} accesses to grant, {s['revoke']} to revoke."
    )


def _token_block(key: str | None, changes: list[Change]) -> Iterable[str]:
    head = next((c for c in changes if c.action in (Action.CREATE, Action.REPLACE)), None)
    deletes = [c for c in changes if c.action is Action.DELETE]
    accesses = [c for c in changes if c.action in (Action.GRANT, Action.REVOKE)]
    if head is not None and head.action is Action.CREATE:
        reason = f"  ({head.reason})" if head.reason else ""
        yield click.style(f"  + {key}", fg="green") + reason
    elif head is not None:
        yield click.style(f"-/+ {key}", fg="yellow") + f"  id {head.token_id}  ({head.reason})"
    elif accesses:
        yield click.style(f"  ~ {key}", fg="yellow") + f"  id {accesses[0].token_id}"
    for change in accesses:
        sign, colour = ("+", "green") if change.action is Action.GRANT else ("-", "red")
        where = "organization" if change.database is None else f"database {change.database}"
        yield click.style(f"      {sign} {where}: {', '.join(change.accesses)}", fg=colour)
    for change in deletes:
        label = key if key is not None else f"{change.name or '(no name)'} (unmanaged)"
        yield click.style(f"  - {label}", fg="red") + f"  id {change.token_id}  ({change.reason})"
    yield ""
