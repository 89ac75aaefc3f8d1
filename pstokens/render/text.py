"""The Terraform-like text view of a plan, for people at a terminal.

Styling uses click's ANSI markup, which the CLI strips when colour is off (not
a terminal, NO_COLOR, --no-color), so pipes and CI logs stay plain; the
library's `render_text` is plain unless asked for colour. Every field
(a saved plan is untrusted) is escaped, and names are quoted: a name must not
fake a line or drive a terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import click

from pstokens.engine.planning.arguments import check_plan
from pstokens.engine.planning.plan import Action, Change, Plan
from pstokens.render import rules, words
from pstokens.render.escape import key as shown_key
from pstokens.render.escape import name as shown_name
from pstokens.render.escape import terminal as safe
from pstokens.render.operations import operations_note


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan for a person, by key, as `pstokens plan` prints it.

    Plain text unless `color` asks for ANSI styling (a library caller printing
    to a terminal it knows takes colour).
    """
    check_plan(plan, "render_text's plan")
    text = styled_text(plan)
    return text if color else click.unstyle(text)


def styled_text(plan: Plan) -> str:
    """The plan with click's ANSI markup, for the CLI to strip when colour is off."""
    lines: list[str] = []
    by_key: dict[str | None, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_key[change.key].append(change)

    if plan.changes:
        lines.append(
            f'pstokens will make these changes in organization "{safe(plan.organization)}":'
        )
        lines.append("")
        for key in sorted(by_key, key=lambda k: (k is None, k or "")):
            lines.extend(_token_block(key, by_key[key]))
    if plan.drift:
        lines.append(click.style("Changed outside pstokens since the last apply:", bold=True))
        lines.extend(f"  {shown_key(d.key)} ({safe(d.token_id) or 'no id'}): "
                     f"{words.drift(d, safe)}"
                     for d in plan.drift)
        lines.append("")
    if plan.skipped:
        lines.append(click.style("Skipped (prevent_destroy):", bold=True))
        lines.extend(f"  {shown_key(s.key)} ({safe(s.token_id) or 'no id'}): {words.skipped(s)}"
                     for s in plan.skipped)
        lines.append("")
    if plan.unmanaged:
        lines.append(click.style(
            f"Unmanaged tokens ({len(plan.unmanaged)}), in the organization but not in state:",
            bold=True,
        ))
        lines.extend(f"  {shown_name(u.name)}  id {safe(u.id)}" for u in plan.unmanaged)
        lines.append("  Adopt them with `pstokens import`, list them in unmanaged.except, "
                     "or set unmanaged.policy.")
        lines.append("")
    if plan.retiring:
        lines.append(click.style(
            "Retiring (replaced, kept working by overlap or retire_when_unused):", bold=True))
        lines.extend(f"  {shown_key(r.key)}  id {safe(r.token_id)}  {words.retiring(r)}"
                     for r in plan.retiring)
        lines.append("")
    if plan.leases:
        lines.append(click.style(words.LEASES_HEADING, bold=True))
        lines.extend(f"  {words.lease(v, safe)}" for v in plan.leases)
        lines.append("")
    if plan.violations:
        lines.append(click.style(f"Rule violations ({len(plan.violations)}):", bold=True))
        lines.extend(click.style(f"  {rules.violation_text(v)}", fg="red")
                     for v in plan.violations)
        lines.append("")
    if plan.denied:
        lines.append(click.style(f"Policy violations ({len(plan.denied)}):", bold=True))
        lines.extend(click.style(f"  {rules.policy_text(f)}", fg="red") for f in plan.denied)
        lines.append(f"  {words.DENIED_NOTE}")
        lines.append("")
    leak_warning = words.leak_warning(plan.leak_check, safe)
    cautions = [f for f in plan.policies if f not in plan.denied]
    if plan.warnings or plan.unused or leak_warning or cautions:
        lines.append(click.style("Warnings:", bold=True))
        lines.extend(f"  {words.warning(w, shown_key)}" for w in plan.warnings)
        lines.extend(f"  {rules.unused_warning(u)}" for u in plan.unused)
        lines.extend(f"  {rules.policy_text(f)}" for f in cautions)
        if leak_warning:
            lines.append(click.style(f"  {leak_warning}", fg="yellow"))
        lines.append("")
    if note := words.leak_note(plan.leak_check, safe):
        lines += [f"Note: {note}", ""]
    for item in plan.unsafe:
        lines.append(click.style(f"Unsafe: {words.unsafe(item, shown_key)}; apply needs --force.",
                                 fg="red"))
    if plan.unsafe:
        lines.append("")
    lines.append(words.summary_line(plan))
    return "\n".join(lines)


def _token_block(key: str | None, changes: list[Change]) -> Iterable[str]:
    shown = shown_key(key)
    head = next((c for c in changes if c.action in (Action.CREATE, Action.REPLACE)), None)
    deletes = [c for c in changes if c.action is Action.DELETE]
    accesses = [c for c in changes if c.action in (Action.GRANT, Action.REVOKE)]
    updates = [c for c in changes if c.action is Action.UPDATE_STATE]
    if head is not None and head.action is Action.CREATE:
        why = words.reason(head)
        yield click.style(f"  + {shown}", fg="green") + (f"  ({why})" if why else "")
    elif head is not None:
        yield (click.style(f"-/+ {shown}", fg="yellow")
               + f"  id {safe(head.token_id)}  ({words.reason(head)})")
    if head is not None:
        if retire := words.retire(head, safe):
            yield f"      {retire}"
        yield f"      {words.verify(head, safe)}"
        yield f"      {words.deliver(head, safe)}"
    elif accesses or updates:
        token_id = (accesses or updates)[0].token_id
        yield click.style(f"  ~ {shown}", fg="yellow") + f"  id {safe(token_id)}"
    for change in updates:
        yield f"      {words.reason(change)}"
    for change in accesses:
        sign, colour = ("+", "green") if change.action is Action.GRANT else ("-", "red")
        names = ", ".join(safe(a) for a in change.accesses)
        yield click.style(f"      {sign} {_where(change.database)}: {names}", fg=colour)
        if note := operations_note(change):
            yield f"          ({note})"
    for change in deletes:
        label = shown if key is not None else words.unmanaged_label(change, shown_name(change.name))
        yield (click.style(f"  - {label}", fg="red")
               + f"  id {safe(change.token_id)}  ({words.reason(change)})")
    yield ""


def _where(database: str | None) -> str:
    return "organization" if database is None else f"database {safe(database)}"
