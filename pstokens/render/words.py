"""The English for a plan's typed values: causes, drift, skips, warnings, the last line.

Every view (text, Markdown, the JSON's `reason` fields) takes its words from
here, so they agree, and no code anywhere decides anything by a sentence.
Untrusted text (names, IDs) is escaped by the caller for its medium.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from pstokens.config.duration import format_duration, format_rough
from pstokens.destinations import CommandDestination
from pstokens.engine.planning.plan import Cause, Change, Plan
from pstokens.engine.rules.findings import (
    Drift,
    DriftKind,
    LeakCheck,
    LeakCheckStatus,
    PlanWarning,
    SkipKind,
    Skipped,
    Unsafe,
    UnsafeKind,
    WarningKind,
)
from pstokens.engine.rules.leaseview import LeaseView
from pstokens.engine.rules.rotation import RetireWait, Retiring

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
    Cause.PARTLY_DELIVERED: ("its secret reached only some of its destinations; "
                             "a new token goes to all of them"),
    Cause.LEAKED: "leaked: PlanetScale's audit log reports its secret found in public",
    Cause.REMOVED: "removed from the configuration",
    Cause.ALREADY_GONE: "removed from the configuration; already gone, only state changes",
    Cause.RETIRING_GONE: "replaced earlier and deleted outside pstokens; only state changes",
    Cause.REPLACED: "replaced by a new token",
    Cause.RETIRED: "replaced by a new token",
    Cause.OVERLAP_ENDED: "overlap ended",
    Cause.NOT_USED: "replaced, and PlanetScale has not seen it used for retire_when_unused",
    Cause.ROTATION_STUCK: ("rotation stuck: still in use 7 days after its successor was "
                           "delivered; deleted because of --force"),
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
    if change.cause is Cause.LEAKED:
        return f"{old} deleted once the new token is delivered (leaked: no overlap)"
    overlap, unused = change.retire.overlap_seconds, change.retire.retire_when_unused
    if unused:
        kept = (f"kept {format_duration(overlap)} after the new token is delivered and "
                if overlap else "kept ")
        return (f"{old} {kept}until unused for {format_duration(unused)} (PlanetScale's "
                "last use), then deleted by the first apply after that")
    if not overlap:
        return f"{old} deleted once the new token is delivered"
    return (f"{old} kept {format_duration(overlap)} after the new token "
            "is delivered, then deleted by the first apply after that")


def verify(change: Change, escape: Callable[[str | None], str]) -> str:
    """How the new token is verified before its secret goes anywhere."""
    check = change.verify
    if check is None or check.fallback:
        return "verified by GET /v1/organizations"
    where = "" if check.database is None else f" on {escape(check.database)}"
    return f"verified by {escape(check.operation)}{where}"


def deliver(change: Change, escape: Callable[[str | None], str]) -> str:
    """Where a new token's secret goes, as the plan resolved it."""
    if change.deliver is None:  # a plan made for a library caller's own sink
        return "secret to where apply's sink says"
    places = [(f'command "{escape(d.command)}"' + (f" (stdin: {d.stdin})" if d.stdin else ""))
              if isinstance(d, CommandDestination) else f"dir {escape(d.path)}"
              for d in change.deliver]
    if not places:  # apply deletes such a token again: nobody would hold it
        return "secret to no destination (apply will delete the new token)"
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
        leaked = " (it is leaked)" if item.cause == Cause.LEAKED else ""
        return f"delete{leaked} skipped: prevent_destroy was set when last applied"
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


def _namesake(item: PlanWarning, escape: Callable[[str | None], str]) -> str:
    """One unmanaged token of the key's name: adopt it. Several: pick one of them
    (each command shown, up to three), since pstokens cannot tell which is meant."""
    key, ids = escape(item.key), [escape(i) for i in item.token_ids] or ["ID"]
    if len(ids) == 1:
        return (f"{key}: live token {ids[0]} already has this name and is not managed; "
                f"apply would make a second one. To adopt it instead: "
                f"`pstokens import {key} {ids[0]}`")
    adopt = (" or ".join(f"`pstokens import {key} {i}`" for i in ids) if len(ids) <= 3
             else f"`pstokens import {key} ID` with the ID of the one you mean")
    return (f"{key}: live tokens {', '.join(ids)} already have this name and are not "
            f"managed; apply would make another one. To adopt one of them instead, pick "
            f"it: {adopt}")


def warning(item: PlanWarning, escape: Callable[[str | None], str]) -> str:
    if item.kind is WarningKind.NAMESAKE:
        return _namesake(item, escape)
    if item.kind is WarningKind.ROTATION_STUCK:
        ids = ", ".join(escape(i) for i in item.token_ids)
        return (f"{escape(item.key)}: rotation stuck: replaced token {ids} is still in use 7 "
                "days after its successor was delivered; find the consumer still using it "
                "(`pstokens apply --force` deletes it anyway)")
    if item.kind is WarningKind.TOKENS_PILING_UP:
        ids = ", ".join(escape(i) for i in item.token_ids)
        return (f"{escape(item.key)}: {len(item.token_ids)} live tokens ({ids}): its secret "
                "keeps reaching only some of its destinations, and each apply keeps one more "
                "token; fix the destination the last apply named as failing, then apply (the "
                "extra tokens go once a new one reaches them all)")
    if item.kind is WarningKind.EXPIRES_SOON:
        when = (item.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
                if item.expires_at else "soon")
        key = escape(item.key)
        return (f"{key}: its token expires {when} and nothing in this plan replaces it "
                f"(set rotate_after shorter than ttl, or `pstokens apply --replace {key}`)")
    return str(item.kind)


def retiring(item: Retiring) -> str:
    """Why a retiring token is still live: `still in use (last used 4m ago)`."""
    quiet = "" if item.retire_when_unused is None else format_duration(item.retire_when_unused)
    if item.wait is RetireWait.OVERLAP and item.retire_at is not None:
        when = item.retire_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        then = (f"then deleted once unused for {quiet}" if quiet
                else "the first apply after that deletes it")
        return f"retiring at {when} (overlap); {then}"
    if item.wait in (RetireWait.DELIVERY, RetireWait.OVERLAP):
        waits = "its overlap starts" if item.overlap_seconds else "its wait starts"
        return f"retiring: {waits} once its successor's secret is delivered"
    if item.idle_seconds is None:
        use = "never used"
        until = f"deleted once its successor has been delivered for {quiet}"
    else:
        use = f"still in use (last used {format_rough(item.idle_seconds)} ago)"
        until = f"deleted once unused for {quiet}"
    if item.wait is RetireWait.STUCK:
        return (f"retiring: rotation stuck: {use} 7 days or more after its successor was "
                "delivered; `pstokens apply --force` deletes it")
    return f"retiring: {use}; {until}"



LEASES_HEADING = "Leases (short-lived tokens of `pstokens exec`, deleted when it ends):"


def unmanaged_label(change: Change, name: str) -> str:
    """How a delete with no key names its token: an expired lease, or an unmanaged one."""
    lease = change.cause in (Cause.LEASE_EXPIRED, Cause.LEAKED)
    return f"{name} (lease)" if lease else f"{name} (unmanaged)"


def leak_note(check: LeakCheck, escape: Callable[[str | None], str]) -> str | None:
    """The note of a plan whose credentials may not read the audit log."""
    if check.status is not LeakCheckStatus.SKIPPED:
        return None
    return ("leak check skipped: these credentials may not read the audit log (it needs "
            "read_audit_logs), so tokens PlanetScale reports leaked are not replaced; "
            f"PlanetScale said: {escape(check.detail)}")


def leak_warning(check: LeakCheck, escape: Callable[[str | None], str]) -> str | None:
    """The warning of a plan whose audit-log read failed: no token was found leaked by it."""
    if check.status is not LeakCheckStatus.FAILED:
        return None
    return (f"leak check failed: {escape(check.detail)}; this plan replaces no token for a "
            "leak, and the next plan reads the audit log again")


def lease(item: LeaseView, escape: Callable[[str | None], str]) -> str:
    when = (item.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if item.expires_at else "an unknown time")
    known = "" if item.recorded else "; not in this state"
    token = "no ID yet" if item.token_id is None else f"id {escape(item.token_id)}"
    return (f"{escape(item.name)}  {token}  for {escape(item.key)}, "
            f"expires {when}{known}")


# Under a plan's policy violations: what they mean for apply (engine/planning/policy.py).
DENIED_NOTE = "apply refuses this plan while a policy denies it (--force does not override)."


def summary_line(plan: Plan) -> str:
    """The plan's last line. It says "No changes" only when nothing at all differs;
    otherwise the counts, then whatever else differs (skips, unmanaged tokens,
    rule and policy violations)."""
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
    if plan.denied:
        extras.append(_count(len(plan.denied), "policy violation"))
    return line + ("; " + ", ".join(extras) if extras else "") + "."


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _ttl(seconds: int | None) -> str:
    return "none" if seconds is None else format_duration(seconds)

