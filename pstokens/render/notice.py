"""Notifications in words: what a plan or an apply tells `notify:` receivers, and the
warning a notification that did not arrive leaves on stderr.

Token names and API errors come from anyone, so `text` escapes them as the
terminal views do, and `slack` also makes Slack's control syntax (`<!channel>`,
links) inert. A warning names the entry by its place and variable, never the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pstokens.config.model import NotifyEvent
from pstokens.engine.planning.outcome import ApplyResult
from pstokens.engine.planning.plan import Action, Cause, Plan
from pstokens.engine.rules.findings import SkipKind, WarningKind
from pstokens.engine.rules.guardrails import Rule
from pstokens.notify.events import apply_event, plan_events
from pstokens.notify.message import Notice
from pstokens.render.apply import outcome_line, summary
from pstokens.render.escape import terminal
from pstokens.render.rules import policy_text, violation_text
from pstokens.render.words import summary_line, warning

if TYPE_CHECKING:  # the sender's types; importing it loads httpx
    from pstokens.notify.send import Undelivered

MAX_LINES = 20


def plan_notices(plan: Plan) -> list[Notice]:
    """One notice per event the plan raises (none when all is well)."""
    org = plan.organization
    notices = []
    for event in plan_events(plan):
        if event is NotifyEvent.DRIFT:
            counts = {**plan.summary(), "unmanaged": len(plan.unmanaged),
                      "drift": len(plan.drift), "skipped": len(plan.skipped),
                      "violations": len(plan.violations)}
            notices.append(_notice(event, org, counts,
                                   f"the organization differs from the configuration. "
                                   f"{summary_line(plan)}", []))
        elif event is NotifyEvent.VIOLATIONS:
            tokens = len({v.token_id for v in plan.violations})
            counts = {"violations": len(plan.violations), "tokens": tokens}
            if plan.denied:  # only then: notices without policies stay as they were
                counts["policy_violations"] = len(plan.denied)
            notices.append(_notice(
                event, org, counts, _violations_headline(plan),
                [violation_text(v) for v in plan.violations]
                + [policy_text(f) for f in plan.denied],
                violations=[v.to_json() for v in plan.violations],
                **({"policy_violations": [f.to_json() for f in plan.denied]}
                   if plan.denied else {}),
            ))
        elif event is NotifyEvent.ROTATION_STUCK:
            stuck = [w for w in plan.warnings if w.kind is WarningKind.ROTATION_STUCK]
            notices.append(_notice(
                event, org, {"rotation_stuck": len(stuck)},
                f"{_count(len(stuck), 'replaced token')} still in use 7 days after "
                "the successor was delivered:",
                [warning(w, terminal) for w in stuck],
                rotation_stuck=[w.to_json() for w in stuck],
            ))
        elif event is NotifyEvent.LEAKED:
            found = leaked_lines(plan)
            notices.append(_notice(
                event, org, {"leaked": len(found)},
                f"{_count(len(found), 'live token')} reported leaked in the audit log "
                "(its secret was found in public):",
                [line for line, _ in found], leaked=[item for _, item in found],
            ))
        else:
            soon = [w for w in plan.warnings if w.kind is WarningKind.EXPIRES_SOON]
            notices.append(_notice(
                event, org, {"expiring": len(soon)},
                f"{_count(len(soon), 'managed token')} expire{'s' if len(soon) == 1 else ''} "
                "within 14 days:",
                [warning(w, terminal) for w in soon],
                expiring=[w.to_json() for w in soon],
            ))
    return notices


def leaked_notices(plan: Plan) -> list[Notice]:
    """The `leaked` notice alone: what apply tells of the leaks its plan acted on."""
    return [n for n in plan_notices(plan) if n.event is NotifyEvent.LEAKED]


def leaked_lines(plan: Plan) -> list[tuple[str, dict[str, object]]]:
    """Each leaked live token in words, with the plain data a JSON receiver gets."""
    found: list[tuple[str, dict[str, object]]] = []
    for change in plan.changes:
        if change.cause is not Cause.LEAKED:
            continue
        if change.action is Action.REPLACE:
            what, words = "replace", "replaced; the leaked token is deleted once its " \
                                     "successor is delivered"
            token_id = change.token_id
        else:
            what, words = "delete", "deleted"
            token_id = change.token_id
        label = (f"key {terminal(change.key)}" if change.key is not None
                 else f"lease {terminal(change.name)}")
        found.append((f"{label} (id {terminal(token_id)}): {words}",
                      {"token_id": token_id, "key": change.key, "name": change.name,
                       "action": what}))
    for skip in plan.skipped:
        if skip.cause == Cause.LEAKED:
            kept = "deleted" if skip.kind is SkipKind.DELETE else "replaced"
            found.append((f"key {terminal(skip.key)} (id {terminal(skip.token_id)}): not "
                          f"{kept}, prevent_destroy is set",
                          {"token_id": skip.token_id, "key": skip.key, "name": None,
                           "action": "skipped"}))
    for violation in plan.violations:
        if violation.rule is Rule.LEAKED:
            found.append((violation_text(violation),
                          {"token_id": violation.token_id, "key": None, "name": violation.name,
                           "action": "unmanaged"}))
    return found


def apply_notice(organization: str, result: ApplyResult) -> Notice:
    event = apply_event(result)
    counts = {**result.done, "errors": len(result.errors)}
    if event is NotifyEvent.APPLIED:
        return _notice(event, organization, counts, f"apply complete: {summary(result)}", [])
    return _notice(event, organization, counts,
                   f"apply failed with {len(result.errors)} error(s); done so far: "
                   f"{summary(result)}", [outcome_line(o) for o in result.errors])


def apply_error_notice(organization: str, message: str) -> Notice:
    """An apply that stopped on an error before it could finish its steps."""
    return _notice(NotifyEvent.APPLY_FAILED, organization, {"errors": 1},
                   f"apply failed: {message}", [])


def failure_text(item: Undelivered) -> str:
    """`Warning: notify entry 2 (PSTOKENS_SLACK_WEBHOOK): drift not sent: ...`."""
    from pstokens.notify.send import Failure

    target = item.target
    why = {
        Failure.UNSET: f"{target.url_env} is not set",
        Failure.NOT_HTTP: f"{target.url_env} does not hold an http(s) URL",
        Failure.NO_SIGNING_KEY: f"secret_env {target.secret_env} is not set (it would go "
                              "unsigned)",
        Failure.REFUSED: f"the receiver answered {item.status}",
        Failure.SERVER_ERROR: f"the receiver answered {item.status} to every attempt",
        Failure.TIMED_OUT: "the receiver did not answer in time",
        Failure.UNREACHABLE: "the receiver could not be reached",
    }[item.failure]
    sent = "not sent" if item.failure in (Failure.UNSET, Failure.NOT_HTTP,
                                          Failure.NO_SIGNING_KEY) else "not delivered"
    return (f"Warning: notify entry {item.number} ({target.url_env}): {item.notice.event} "
            f"{sent}: {why}")


def _violations_headline(plan: Plan) -> str:
    said = []
    if plan.violations:
        said.append(f"{_count(len(plan.violations), 'rule violation')} by live tokens")
    if plan.denied:
        said.append(f"{_count(len(plan.denied), 'policy violation')} in the plan")
    return ", ".join(said) + ":"


def _notice(event: NotifyEvent, organization: str, counts: dict[str, int], headline: str,
            lines: Sequence[str], **details: object) -> Notice:
    shown = [f"- {line}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"- and {len(lines) - MAX_LINES} more")
    text = "\n".join([f"pstokens: {terminal(organization)}: {headline}", *shown])
    return Notice(event, organization, counts, text, _slack(text), details)


def _slack(text: str) -> str:
    """Slack reads `<...>` as links and mentions and `&` as an entity: all made inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _count(n: int, one: str) -> str:
    return f"{n} {one}{'' if n == 1 else 's'}"
