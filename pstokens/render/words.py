"""The English for a plan's typed values: causes, drift, skips, warnings, the last line.

Every view (text, Markdown, the JSON's `reason` fields) takes its words from
here, so they agree, and no code anywhere decides anything by a sentence.
Untrusted text (names, IDs) is escaped by the caller for its medium.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from pstokens.config.duration import format_duration
from pstokens.config.model import CommandDestination
from pstokens.engine.findings import (
    Drift,
    DriftKind,
    PlanWarning,
    SkipKind,
    Skipped,
    Unsafe,
    UnsafeKind,
    WarningKind,
)
from pstokens.engine.leaseview import LeaseView
from pstokens.engine.plan import Cause, Change, Plan
from pstokens.engine.rotation import Retiring

NO_CHANGES = "No changes. The organization matches the configuration."

_CAUSES: dict[Cause, str] = {
    Cause.NEW: "",
    Cause.INCOMPLETE_CREATE: "an earlier create did not complete",
    Cause.LOST_CREATE: "secret never delivered (a create's answer was lost)",
    Cause.UNDELIVERED: "secret was never delivered",
    Cause.EXPIRED: "expired",
    Cause.ROTATE_AFTER: "rotate_after reached",
    Cause.FORCED: "--replace",
    Cause.DELETED_OUTSIDE: "deleted outside pstokens",
    Cause.UNVERIFIED: "its credentials failed verification",
    Cause.REMOVED: "removed from the configuration",
    Cause.ALREADY_GONE: "removed from the configuration; already gone, only state changes",
    Cause.RETIRING_GONE: "replaced earlier and deleted outside pstokens; only state changes",
    Cause.REPLACED: "replaced by a new token",
    Cause.RETIRED: "replaced by a new token",
    Cause.OVERLAP_ENDED: "overlap ended",
    Cause.LOST_CREATE_LEFTOVER: "left by a lost create",
    Cause.DUPLICATE: "duplicate left by a lost create",
    Cause.UNMANAGED: "unmanaged.policy is delete",
    Cause.LEASE_EXPIRED: "lease expired (left by a `pstokens exec` that did not finish)",
    Cause.PROTECT: "prevent_destroy set: recorded in state, no API call",
    Cause.UNPROTECT: "prevent_destroy cleared: recorded in state, no API call",
}


def reason(change: Change) -> str:
    """Why `change` is planned, or "" for a plain create."""
    if change.cause is Cause.TTL_CHANGED:
        return f"ttl changed ({_ttl(change.previous_ttl)} -> {_ttl(change.ttl)})"
    return cause_text(change.cause)


def retire(change: Change, escape: Callable[[str | None], str]) -> str:
    """What a replacement does with the old token, or "" when nothing is left of it."""
    if change.retire is None:
        return ""
    old = f"old {escape(change.retire.token_id)}"
    if not change.retire.overlap_seconds:
        return f"{old} deleted once the new token is delivered"
    return (f"{old} kept {format_duration(change.retire.overlap_seconds)} after the new token "
            "is delivered, then deleted by the first apply after that")


def deliver(change: Change, escape: Callable[[str | None], str]) -> str:
    """Where a new token's secret goes: the plan's `deliver:`, or apply's flags."""
    if change.deliver is None:
        return "secret to where apply's --secrets-dir or --secrets-command say"
    places = [f'command "{escape(d.command)}"' if isinstance(d, CommandDestination)
              else f"dir {escape(d.path)}" for d in change.deliver]
    return "secret to " + ", ".join(places)


def cause_text(cause: Cause | None) -> str:
    if cause is None:
        return ""
    return "ttl changed" if cause is Cause.TTL_CHANGED else _CAUSES[cause]


def where(database: str | None, escape: Callable[[str | None], str]) -> str:
    return "the organization" if database is None else f"database {escape(database)}"


def drift(item: Drift, escape: Callable[[str | None], str]) -> str:
    if item.kind is DriftKind.DELETED:
        return "token was deleted outside pstokens"
    verb = "granted" if item.kind is DriftKind.GRANTED else "revoked"
    return f"{escape(item.access)} on {where(item.database, escape)} {verb} outside pstokens"


def skipped(item: Skipped) -> str:
    if item.kind is SkipKind.DELETE:
        return "delete skipped: prevent_destroy was set when last applied"
    why = cause_text(Cause(item.cause)) if item.cause else "requested"
    return f"replacement ({why}) skipped: prevent_destroy is set"


def unsafe(item: Unsafe, escape: Callable[[str | None], str]) -> str:
    if item.kind is UnsafeKind.TOO_MANY_DELETES:
        return f"the plan {too_many_deletes(item)}"
    return (f"the plan deletes unmanaged token {escape(item.token_id)}, named like key "
            f"{escape(item.key)}: it may be the token another run's apply made for that key "
            "(a state that predates it); check the state, or `pstokens import` it")


def too_many_deletes(item: Unsafe) -> str:
    """`deletes 4 of 10 managed tokens and 2 unmanaged ones, more than ...`."""
    managed = f"deletes {item.managed_deletes} of {item.managed} managed tokens"
    if item.unmanaged:
        many = "token" if item.unmanaged == 1 else "tokens"
        managed += f" and {item.unmanaged} unmanaged {many} ({item.deletes} in all)"
    return f"{managed}, more than safety.max_delete_percent ({item.percent}%)"


def warning(item: PlanWarning, escape: Callable[[str | None], str]) -> str:
    if item.kind is WarningKind.NAMESAKE:
        ids = ", ".join(escape(i) for i in item.token_ids)
        first = escape(item.token_ids[0]) if item.token_ids else "ID"
        return (f"{escape(item.key)}: live token {ids} already has this name and is not "
                f"managed; apply would make a second one. To adopt it instead: "
                f"`pstokens import {escape(item.key)} {first}`")
    if item.kind is WarningKind.EXPIRES_SOON:
        when = (item.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
                if item.expires_at else "soon")
        key = escape(item.key)
        return (f"{key}: its token expires {when} and nothing in this plan replaces it "
                f"(set rotate_after shorter than ttl, or `pstokens apply --replace {key}`)")
    return str(item.kind)


def retiring(item: Retiring) -> str:
    if item.retire_at is None:
        return "retiring: its overlap starts once its successor's secret is delivered"
    when = item.retire_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (f"retiring at {when} "
            "(overlap); the first apply after that deletes it")


LEASES_HEADING = "Leases (short-lived tokens of `pstokens exec`, deleted when it ends):"


def unmanaged_label(change: Change, name: str) -> str:
    """How a delete with no key names its token: an expired lease, or an unmanaged one."""
    return f"{name} (lease)" if change.cause is Cause.LEASE_EXPIRED else f"{name} (unmanaged)"


def lease(item: LeaseView, escape: Callable[[str | None], str]) -> str:
    when = (item.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if item.expires_at else "an unknown time")
    known = "" if item.recorded else "; not in this state"
    token = "no ID yet" if item.token_id is None else f"id {escape(item.token_id)}"
    return (f"{escape(item.name)}  {token}  for {escape(item.key)}, "
            f"expires {when}{known}")


def summary_line(plan: Plan) -> str:
    """The plan's last line. It says "No changes" only when nothing at all differs;
    otherwise the counts, then whatever else differs (skips, unmanaged tokens,
    rule violations)."""
    if not plan.differs:
        return NO_CHANGES
    s = plan.summary()
    line = (
        f"Plan: {s['create']} to create, {s['replace']} to replace, "
        f"{s['delete']} to delete, {_count(s['grant'], 'access', 'accesses')} to grant, "
        f"{s['revoke']} to revoke"
    )
    extras = []
    if s["update_state"]:
        extras.append(f"{_count(s['update_state'], 'state-only change')} to record")
    if plan.skipped:
        extras.append(f"{_count(len(plan.skipped), 'change')} skipped (prevent_destroy)")
    if plan.unmanaged:
        extras.append(_count(len(plan.unmanaged), "unmanaged token"))
    if plan.drift and not plan.changes:
        extras.append(f"{_count(len(plan.drift), 'change')} made outside pstokens")
    if plan.violations:
        extras.append(_count(len(plan.violations), "rule violation"))
    return line + ("; " + ", ".join(extras) if extras else "") + "."


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _ttl(seconds: int | None) -> str:
    return "none" if seconds is None else format_duration(seconds)

