"""Which events a plan or an apply raises: typed decisions over engine values."""

from __future__ import annotations

import dataclasses

from pstokens.config.model import NotifyEvent
from pstokens.engine.planning.outcome import ApplyResult
from pstokens.engine.planning.plan import Cause, Plan
from pstokens.engine.rules.findings import WarningKind
from pstokens.engine.rules.guardrails import Rule


def plan_events(plan: Plan) -> tuple[NotifyEvent, ...]:
    """drift when the plan differs (as --detailed-exitcode counts it, a policy's deny
    aside: the organization does not differ for it), violations when live tokens break
    rules or a policy denies the plan, expiring when a managed token expires within 14 days,
    leaked when the audit log reports live tokens leaked, rotation_stuck when a
    replaced token is still in use 7 days after its successor was delivered."""
    events = []
    if dataclasses.replace(plan, policies=()).differs:
        events.append(NotifyEvent.DRIFT)
    if plan.violations or plan.denied:  # rules:, or a policy's deny
        events.append(NotifyEvent.VIOLATIONS)
    if expiring(plan):
        events.append(NotifyEvent.EXPIRING)
    if leaked(plan):
        events.append(NotifyEvent.LEAKED)
    if stuck(plan):
        events.append(NotifyEvent.ROTATION_STUCK)
    return tuple(events)


def leaked(plan: Plan) -> bool:
    """Whether the plan found a live token leaked: managed (replaced, or skipped by
    prevent_destroy), a lease, or one pstokens does not manage."""
    return (any(c.cause is Cause.LEAKED for c in plan.changes)
            or any(s.cause == Cause.LEAKED for s in plan.skipped)
            or any(v.rule is Rule.LEAKED for v in plan.violations))


def expiring(plan: Plan) -> bool:
    return any(w.kind is WarningKind.EXPIRES_SOON for w in plan.warnings)


def stuck(plan: Plan) -> bool:
    return any(w.kind is WarningKind.ROTATION_STUCK for w in plan.warnings)


def apply_event(result: ApplyResult) -> NotifyEvent:
    return NotifyEvent.APPLY_FAILED if result.errors else NotifyEvent.APPLIED
