"""Words for what apply did: a line per change, the closing summary, the JSON result.

The applier reports typed outcomes; this says them, escaping what came from
the API. Nothing here can see a secret: outcomes hold IDs and error words only.
"""

from __future__ import annotations

import json
from typing import Any

from pstokens.engine.outcome import ApplyResult, Blocked, Outcome, Status
from pstokens.engine.plan import Action, Change
from pstokens.errors import PlanError, StalePlan, UnsafePlan
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
    if outcome.status is Status.SKIPPED:
        return _BLOCKED[outcome.blocked or Blocked.NOT_CREATED]
    if outcome.status is Status.UNDELIVERED:
        why = "apply was interrupted" if outcome.blocked is Blocked.INTERRUPTED else outcome.error
        return (f"created {safe(outcome.token_id)}, but its secret was not delivered: "
                f"{safe(why)}; the next plan replaces it")
    if outcome.status is Status.FAILED:
        return safe(outcome.error)
    if change.action in (Action.CREATE, Action.REPLACE):
        where = ", ".join(safe(w) for w in outcome.delivered_to)
        return f"created {safe(outcome.token_id)}, secret delivered to {where}"
    if change.action is Action.UPDATE_STATE:
        return "recorded in state"
    return {Action.GRANT: "granted", Action.REVOKE: "revoked", Action.DELETE: "deleted"}[
        change.action
    ]


def summary(result: ApplyResult) -> str:
    done, undelivered = result.done, result.undelivered

    def made(action: str, verb: str) -> str:
        missing = undelivered[action]
        return f"{done[action]} {verb}" + (f" ({missing} undelivered)" if missing else "")

    line = (f"{made('create', 'created')}, {made('replace', 'replaced')}, "
            f"{done['delete']} deleted, "
            f"{done['grant']} {'access' if done['grant'] == 1 else 'accesses'} granted, "
            f"{done['revoke']} revoked")
    if done["update_state"]:
        line += f", {done['update_state']} recorded in state"
    return line + "."


def result_document(result: ApplyResult) -> dict[str, Any]:
    errors = result.errors
    return {
        "format_version": 1,
        "success": not errors,
        "summary": result.done,
        "outcomes": [o.to_json() for o in result.outcomes],
        "errors": len(errors),
    }


def render_result_json(result: ApplyResult) -> str:
    return json.dumps(result_document(result), indent=2) + "\n"


def render_refused_json(exc: PlanError) -> str:
    """`apply --format json`'s result when it refused the plan: nothing was done,
    and why, as the error on stderr says it (the exit code stays 1)."""
    from pstokens.render.errors import describe

    kind = ("stale_plan" if isinstance(exc, StalePlan)
            else "unsafe_plan" if isinstance(exc, UnsafePlan) else "plan_refused")
    document = result_document(ApplyResult()) | {
        "success": False,
        "refused": {"kind": kind, "message": describe(exc), "hint": exc.hint},
    }
    return json.dumps(document, indent=2) + "\n"
