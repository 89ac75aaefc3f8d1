"""What a grant opens or a revoke closes, in operations, worded for plan views.

The engine sets `allows`/`denies` on the change; the operations table says which
of them are destructive; the words are here, shared by text and Markdown.
"""

from __future__ import annotations

from pstokens.engine.inventory.escalation import Escalation, EscalationKind
from pstokens.engine.planning.plan import Action, Change
from pstokens.operations import operations_table
from pstokens.render.rules import token_label, where

ESCALATION_WORDS = {
    EscalationKind.WRITE_SERVICE_TOKENS: "can create service tokens, with up to its own accesses",
    EscalationKind.CREATE_DATABASES: "gets full access to each database it creates",
}


def operations_note(change: Change) -> str | None:
    """`opens 12 operations, 2 destructive: delete_branch, promote_branch` for a grant,
    `closes ...` for a revoke; None for any other change or one made before the table."""
    if change.action is Action.GRANT and change.allows is not None:
        verb, names = "opens", change.allows
    elif change.action is Action.REVOKE and change.denies is not None:
        verb, names = "closes", change.denies
    else:
        return None
    table = operations_table()
    unknown = [a for a in change.accesses if not table.described(a)]
    note = f"{verb} {_count(len(names))}" if names else f"{verb} no new operation"
    if change.action is Action.REVOKE and not names:
        note = "closes no operation (others still allow them)"
    if destructive := table.destructive(names):
        note += f", {len(destructive)} destructive: {', '.join(destructive)}"
    if unknown:
        note += f"; {', '.join(unknown)}: not described by the API"
    return note


def _count(n: int) -> str:
    return f"{n} operation" if n == 1 else f"{n} operations"


def escalation_finding(item: Escalation) -> str:
    """What the token can reach, without naming it: `can create service tokens, ...`."""
    held = "" if item.database is None else f" on {where(item.database)}"
    return f"{ESCALATION_WORDS[item.path]} ({item.path}{held})"


def escalation_text(item: Escalation) -> str:
    """`deployer [id abc, key deployer] can create service tokens, ... (write_service_tokens)`."""
    return f"{token_label(item.name, item.token_id, item.key)} {escalation_finding(item)}"


def short_escalation(item: Escalation) -> str:
    return f"escalation: {item.path}"


def operations_count(count: int, not_described: tuple[str, ...]) -> str:
    """`37 operations`, with the held accesses the API does not describe."""
    text = _count(count)
    if not_described:
        text += f" (+ {', '.join(not_described)}: not described by the API)"
    return text
