"""Words for what apply did: a line per change, the closing summary, the JSON result.

The applier reports typed outcomes; this says them, escaping what came from
the API. Nothing here can see a secret: outcomes hold IDs and error words only.
"""

from __future__ import annotations

import json
from typing import Any

from pstokens.engine.planning.outcome import ApplyResult, Blocked, Interruption, Outcome, Status
from pstokens.engine.planning.plan import Action, Change
from pstokens.errors import PlanError, StalePlan, UnsafePlan, UsageError
from pstokens.render.escape import key as shown_key
from pstokens.render.escape import name as shown_name
from pstokens.render.escape import terminal as safe

_BLOCKED = {
    Blocked.NOT_CREATED: "skipped: its token could not be created",
    Blocked.UNDELIVERED: ("skipped: its token's secret was not delivered "
                          "(the next plan replaces the token)"),
    Blocked.NOT_READY: "kept: its replacement is not ready yet",
    Blocked.OVERLAP: ("kept working for its overlap (retiring); the first apply after "
                      "the overlap deletes it"),
    Blocked.UNTIL_UNUSED: ("kept working (retiring, retire_when_unused); a later apply "
                           "deletes it once PlanetScale has not seen it used for that long"),
    Blocked.INTERRUPTED: "skipped: apply was interrupted",
    Blocked.GRANT_FAILED: "not verified or delivered: a grant to it failed",
}


def label(change: Change, token_id: str | None = None) -> str:
    """`ci [abc123] on app-prod`: the key, or the quoted name of an unmanaged token,
    then the token acted on (`token_id`, else the change's); a create's is in its words."""
    who = shown_key(change.key) if change.key is not None else shown_name(change.name)
    token_id = token_id or change.token_id
    if token_id is not None and change.action not in (Action.CREATE, Action.REPLACE):
        who += f" [{safe(token_id)}]"
    if change.database is not None:
        return f"{who} on {safe(change.database)}"
    if change.action in (Action.GRANT, Action.REVOKE):
        return f"{who} on the organization"
    return who


def outcome_line(outcome: Outcome) -> str:
    return f"{label(outcome.change, outcome.token_id)}: {_what(outcome)}"


def _what(outcome: Outcome) -> str:
    change = outcome.change
    if change.makes_token and outcome.token_id is not None and outcome.status is not Status.DONE:
        return _not_ready(outcome)
    if outcome.status is Status.SKIPPED:
        return _BLOCKED[outcome.blocked or Blocked.NOT_CREATED]
    if outcome.status is not Status.DONE:
        return safe(outcome.error)
    if change.makes_token:
        where = ", ".join(safe(w) for w in outcome.delivered_to)
        return f"created {safe(outcome.token_id)}, verified, secret delivered to {where}"
    if change.action is Action.UPDATE_STATE:
        return "recorded in state"
    return {Action.GRANT: "granted", Action.REVOKE: "revoked", Action.DELETE: "deleted"}[
        change.action
    ]


def _not_ready(outcome: Outcome) -> str:
    """A new token that is not delivered everywhere: why, and what became of it."""
    new = safe(outcome.token_id)
    old = outcome.change.token_id if outcome.change.retire is not None else None
    if outcome.status is Status.PARTLY_DELIVERED:
        held = ", ".join(safe(w) for w in outcome.delivered_to)
        line = (f"created {new}, but its secret reached only some destinations: "
                f"{safe(outcome.error)}; {held} now hold {new}")
        if outcome.kept_at and old:
            line += f", {', '.join(safe(w) for w in outcome.kept_at)} still hold {safe(old)}"
        if outcome.missed:
            line += f", {', '.join(safe(w) for w in outcome.missed)} hold nothing"
        # A new key had no token before this one: only a replacement leaves two.
        kept = "both tokens are kept" if old else f"{new} is kept"
        return line + f"; {kept} and the next plan replaces {new}"
    if outcome.status is Status.SKIPPED:
        why = _BLOCKED[outcome.blocked or Blocked.GRANT_FAILED]
    elif outcome.status is Status.UNDELIVERED:
        why = f"not delivered: {safe(outcome.error)}"
    else:
        why = safe(outcome.error)
    if outcome.status is Status.FAILED:
        return why
    fate = "deleted again" if outcome.rolled_back else "the next plan replaces it"
    kept = f"; {safe(old)}, the token it replaces, is kept as it was" if old else ""
    return f"created {new}, {why}; {fate}{kept}"


def summary(result: ApplyResult) -> str:
    done, undelivered = result.done, result.undelivered

    def made(action: str, verb: str) -> str:
        missing = undelivered[action]
        return f"{done[action]} {verb}" + (f" ({missing} not delivered everywhere)"
                                           if missing else "")

    line = (f"{made('create', 'created')}, {made('replace', 'replaced')}, "
            f"{done['delete']} deleted, "
            f"{done['grant']} {'access' if done['grant'] == 1 else 'accesses'} granted, "
            f"{done['revoke']} revoked")
    if done["update_state"]:
        line += f", {done['update_state']} recorded in state"
    return line + "."


def result_document(result: ApplyResult,
                    interrupted: Interruption | None = None) -> dict[str, Any]:
    errors = result.errors
    data = {
        "format_version": 1,
        "success": not errors and interrupted is None,
        "summary": result.done,
        "outcomes": [o.to_json() for o in result.outcomes],
        "errors": len(errors),
    }
    if interrupted is not None:
        data["interrupted"] = interrupted.to_json()
    return data


def render_result_json(result: ApplyResult, interrupted: Interruption | None = None) -> str:
    return json.dumps(result_document(result, interrupted), indent=2) + "\n"


def interruption_lines(report: Interruption) -> list[str]:
    """What an interrupted apply left: each new token, how far it got, who holds it."""
    if not report.made:
        return ["Apply was interrupted before any token was created."]
    lines = ["Apply was interrupted. New tokens as it left them:"]
    for made in report.made:
        key = shown_key(made.key)
        if made.token_id is None:
            lines.append(f"  {key}: its create was under way; the next plan finds what it made")
            continue
        token = safe(made.token_id)
        if made.reached:
            where = "held by " + ", ".join(safe(w) for w in made.reached)
        else:
            where = ("verified, delivered nowhere" if made.verified
                     else "not verified, delivered nowhere")
        line = f"  {key}: {token} exists, {where}"
        if made.replaces is not None:
            line += f"; {safe(made.replaces)}, the token it replaces, is kept"
        lines.append(line)
    lines.append("State records them; `pstokens plan` shows what the next apply does.")
    return lines


def render_refused_json(exc: PlanError | UsageError) -> str:
    """`apply --format json`'s result when it refused the plan: nothing was done,
    and why, as the error on stderr says it (the exit code stays 1)."""
    from pstokens.render.errors import describe

    kind = ("stale_plan" if isinstance(exc, StalePlan)
            else "unsafe_plan" if isinstance(exc, UnsafePlan)
            else "usage" if isinstance(exc, UsageError) else "plan_refused")
    document = result_document(ApplyResult()) | {
        "success": False,
        "refused": {"kind": kind, "message": describe(exc), "hint": exc.hint},
    }
    return json.dumps(document, indent=2) + "\n"
