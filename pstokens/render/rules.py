"""Rule findings in words: one sentence each, shared by plan, report and validate.

The engine hands typed findings over; how they read lives here only. Token
names are untrusted, so every name passes through `safe` before it is shown.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pstokens.config.duration import format_duration
from pstokens.engine.rules.guardrails import ConfigViolation, Rule, Unused, Violation
from pstokens.engine.rules.policies import PolicyFinding
from pstokens.errors import Problem
from pstokens.render.escape import key as shown_key
from pstokens.render.escape import name as shown_name
from pstokens.render.escape import terminal

# Why a forbid_operations finding says "possibly" (PRODUCT.md "Who can do what").
UNDESCRIBED = "an access the API does not describe"

def safe(text: str | None, empty: str = "(no name)") -> str:
    """`text` with control and invisible characters escaped (`render.escape.terminal`),
    so a name cannot move the cursor or forge output; `empty` for no name."""
    return terminal(text) if text else empty


def duration(seconds: int) -> str:
    """`90d`, `12h`: exact when it can be, else whole days (a live token's lifetime
    is rarely a round number of seconds)."""
    if seconds < 86400 or seconds % 60 == 0:
        return format_duration(seconds)
    return f"{round(seconds / 86400)}d"


def where(database: str | None) -> str:
    return "the organization" if database is None else f"database {safe(database)}"


def token_label(name: str | None, token_id: str, key: str | None) -> str:
    """`"ci-deploy" [id abc123, key ci-deploy]`, or `"name" [id abc123, unmanaged]`:
    the name quoted, so it cannot start a line or pass for the words around it."""
    managed = f"key {shown_key(key)}" if key is not None else "unmanaged"
    return f"{shown_name(name)} [id {safe(token_id)}, {managed}]"


def finding(violation: Violation) -> str:
    """What the token does wrong, without naming it: for a report's cell."""
    if violation.rule is Rule.FORBID_ACCESSES:
        return (f"holds {safe(violation.access)} on {where(violation.database)} "
                "(rules.forbid_accesses)")
    if violation.rule is Rule.FORBID_OPERATIONS and violation.possibly:
        return (f"can possibly {safe(violation.operation)} through {safe(violation.access)} "
                f"on {where(violation.database)} ({UNDESCRIBED}; rules.forbid_operations)")
    if violation.rule is Rule.FORBID_OPERATIONS:
        return (f"can {safe(violation.operation)} through {safe(violation.access)} on "
                f"{where(violation.database)} (rules.forbid_operations)")
    if violation.rule is Rule.REQUIRE_TTL:
        return "never expires (rules.require_ttl)"
    if violation.rule is Rule.LEAKED:
        return ("is reported leaked: PlanetScale found its secret in public (audit log); "
                "pstokens does not manage it, so replace it where it is used, then delete it")
    assert violation.lifetime is not None and violation.limit is not None
    return (f"lives {duration(violation.lifetime)}, longer than rules.max_ttl "
            f"{duration(violation.limit)}")


def violation_text(violation: Violation) -> str:
    """`legacy-admin [id ..., unmanaged] holds delete_databases on the organization (...)`."""
    label = token_label(violation.name, violation.token_id, violation.key)
    return f"{label} {finding(violation)}"


def policy_text(finding: PolicyFinding) -> str:
    """`policy pstokens.teams: payments-ci touches orders-prod` (the policy's own words,
    escaped: they may quote token names)."""
    return f"policy {terminal(finding.package)}: {terminal(finding.message)}"


def config_problem(violation: ConfigViolation) -> Problem:
    """A config that breaks its own rules, as a located problem for `validate`."""
    token = f'token "{safe(violation.key)}"'
    if violation.rule is Rule.FORBID_ACCESSES:
        message = (f"{token} asks for {violation.access} on {where(violation.database)}, "
                   "which rules.forbid_accesses forbids")
    elif violation.rule is Rule.FORBID_OPERATIONS and violation.possibly:
        message = (f"{token} asks for {violation.access} on {where(violation.database)}, "
                   f"which possibly allows {violation.operation} ({UNDESCRIBED}), "
                   "forbidden by rules.forbid_operations")
    elif violation.rule is Rule.FORBID_OPERATIONS:
        message = (f"{token} asks for {violation.access} on {where(violation.database)}, "
                   f"which allows {violation.operation}, forbidden by rules.forbid_operations")
    elif violation.rule is Rule.REQUIRE_TTL:
        message = f"{token} sets no ttl, but rules.require_ttl is true"
    else:
        assert violation.ttl is not None and violation.limit is not None
        message = (f"ttl {duration(violation.ttl)} of {token} is longer than rules.max_ttl "
                   f"({duration(violation.limit)})")
    return Problem(violation.file, violation.line, violation.column, message,
                   rule=str(violation.rule))


def idle(unused: Unused, now: datetime) -> str:
    """`last used 200 days ago`, or `never used, created 95 days ago`."""
    if unused.last_used_at is not None:
        return f"last used {_days_ago(unused.last_used_at, now)}"
    assert unused.created_at is not None
    return f"never used, created {_days_ago(unused.created_at, now)}"


def unused_text(unused: Unused, now: datetime) -> str:
    label = token_label(unused.name, unused.token_id, unused.key)
    return f"{label} unused for rules.unused_after {duration(unused.unused_after)}: " \
        f"{idle(unused, now)}"


def _days_ago(moment: datetime, now: datetime) -> str:
    days = int((now - moment).total_seconds() // 86400)
    return "today" if days <= 0 else f"{days} day{'s' if days != 1 else ''} ago"


def short_finding(violation: Violation) -> str:
    """A few words for a table cell: `forbidden delete_databases (organization)`."""
    if violation.rule is Rule.FORBID_ACCESSES:
        place = "organization" if violation.database is None else safe(violation.database)
        return f"forbidden {safe(violation.access)} ({place})"
    if violation.rule is Rule.FORBID_OPERATIONS:
        place = "organization" if violation.database is None else safe(violation.database)
        maybe = "possibly " if violation.possibly else ""
        return (f"{maybe}forbidden {safe(violation.operation)} via {safe(violation.access)} "
                f"({place})")
    if violation.rule is Rule.REQUIRE_TTL:
        return "never expires"
    if violation.rule is Rule.LEAKED:
        return "leaked"
    assert violation.lifetime is not None and violation.limit is not None
    return f"lives {duration(violation.lifetime)} > max_ttl {duration(violation.limit)}"


def short_unused(unused: Unused, now: datetime) -> str:
    if unused.last_used_at is None:
        return "never used"
    return f"unused {int((now - unused.last_used_at).total_seconds() // 86400)}d"


def day(moment: datetime | None, missing: str = "-") -> str:
    """`2026-01-14`, in UTC."""
    return missing if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d")


def unused_warning(unused: Unused) -> str:
    """A plan's warning, dated rather than aged, so a saved plan reads the same later."""
    label = token_label(unused.name, unused.token_id, unused.key)
    if unused.last_used_at is not None:
        since = f"last used {day(unused.last_used_at)}"
    else:
        since = f"never used since it was created {day(unused.created_at)}"
    return f"{label} is unused: {since} (rules.unused_after {duration(unused.unused_after)})"
