"""Leaked tokens, as PlanetScale's audit log reports them: read once per plan.

PlanetScale writes `service_token.token_leaked` when it finds a token's
secret in public. Every plan reads the log back 15 days (its retention) and
hands the planner the IDs it names, as plain data. Reading the log may be
refused (credentials without `read_audit_logs`: the check is skipped, a
note) or fail (a warning): either way the plan goes on, and never calls a
token leaked on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pstokens.api.errors import ApiError, Forbidden
from pstokens.api.models import TOKEN_LEAKED, AuditEvent
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.findings import LeakCheck, LeakCheckStatus

# PlanetScale keeps audit events this long; older ones cannot be read anyway.
LOOK_BACK = timedelta(days=15)


async def read_leaks(api: TokenApi, organization: str, now: datetime) -> LeakCheck:
    """The leaked token IDs of the last 15 days; a refusal or a failure is a
    `LeakCheck` that says so, never an error."""
    try:
        events = await api.list_audit_log(
            organization, since=now - LOOK_BACK, actions=(TOKEN_LEAKED,)
        )
    except Forbidden as exc:
        # The client's hint for a 403 names the service-token accesses; what is
        # missing here is read_audit_logs, which the note itself names.
        return LeakCheck(LeakCheckStatus.SKIPPED, detail=exc.message)
    except ApiError as exc:
        return LeakCheck(LeakCheckStatus.FAILED, detail=_words(exc))
    return LeakCheck(LeakCheckStatus.CHECKED, leaked_ids(events, now))


def leaked_ids(events: Iterable[AuditEvent], now: datetime) -> frozenset[str]:
    """Targets of `token_leaked` events of the last 15 days (filtered here too:
    the API's filter is not in its published description)."""
    since = now - LOOK_BACK
    return frozenset(
        event.target_id for event in events
        if event.audit_action == TOKEN_LEAKED and event.target_id and event.created_at >= since
    )


def _words(exc: ApiError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
