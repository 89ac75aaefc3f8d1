"""The organization's audit log: typed events, read back by cursor to a moment.

Unlike the token lists, the audit log pages by cursor (`starting_after` the
last event seen, `limit` at most 100), newest first. A plan only needs the
last 15 days, so reading stops at the first page that reaches an event older
than that, or at the end of the log; one call when those days hold 100
events or fewer. Only the fields pstokens relies on are strict: a page
without them is an `ApiError` that quotes no values.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pstokens.api.answers import read_json
from pstokens.api.errors import ApiError
from pstokens.api.models import AuditEvent, AuditPage
from pstokens.api.paths import audit_log_path
from pstokens.api.session import HttpSession

MAX_LIMIT = 100
# A log longer than this many pages (100,000 events) is taken for an API that pages forever.
MAX_PAGES = 1_000


async def read_back(
    session: HttpSession, org: str, since: datetime, actions: Collection[str] = (),
    *, limit: int = MAX_LIMIT,
) -> list[AuditEvent]:
    """The events of `org` created at `since` or later, newest first; with
    `actions`, only those (asked of the API as its Go client does, and
    checked here too, since the API's description does not list that filter)."""
    operation = f'list the audit log of "{org}"'
    params: dict[str, Any] = {"limit": limit}
    if actions:
        params["filters[]"] = [f"audit_action:{name}" for name in sorted(actions)]
    found: list[AuditEvent] = []
    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        asked = params if cursor is None else {**params, "starting_after": cursor}
        status, content = await session.request(
            "GET", audit_log_path(org), operation=operation, idempotent=True,
            params=asked, raw=True,
        )
        page = read_json(operation, AuditPage, status, content)
        for event in page.data:
            if event.created_at < since:
                return found
            if event.id not in seen and (not actions or event.audit_action in actions):
                seen.add(event.id)
                found.append(event)
        if not page.has_next or not page.data:
            return found
        following = page.cursor_end or page.data[-1].id
        if following == cursor:
            raise ApiError(f"{operation}: the API gave the same cursor twice")
        cursor = following
    raise ApiError(f"{operation}: the API gave more than {MAX_PAGES} pages")
