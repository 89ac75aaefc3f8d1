"""Reading the audit log back to a moment: cursor paging, stopping, malformed pages, 403."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from pstokens.api import ApiError, Forbidden, PlanetScaleClient
from pstokens.api.models import TOKEN_LEAKED

from .helpers import ORG

AUDIT_LOG = f"/organizations/{ORG}/audit-log"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=15)
SECRET_LOOKING = "pscale_tkn_NOTinANYerrorMESSAGE0123456789"


def event(number: int, age: timedelta, action: str = "service_token.created",
          target: str | None = "tok000000001") -> dict[str, Any]:
    """An event exactly as the API sends it: every field, the nullable ones null."""
    moment = (NOW - age).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"id": f"evt{number:09d}", "type": "AuditLogEvent", "audit_action": action,
            "action": action.rpartition(".")[2], "actor_id": None, "actor_type": None,
            "actor_display_name": None, "auditable_id": None, "auditable_type": None,
            "auditable_display_name": None, "target_id": target,
            "target_type": "ServiceToken" if target else None, "target_display_name": None,
            "location": None, "remote_ip": None, "metadata": None,
            "created_at": moment, "updated_at": moment}


def cursor_log(events: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """A server holding `events` (newest first), paged by `starting_after` as the API pages."""

    def serve(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = min(int(params.get("limit", "25")), 100)
        after = params.get("starting_after")
        start = 0 if after is None else [e["id"] for e in events].index(after) + 1
        chunk = events[start:start + limit]
        return httpx.Response(200, json={
            "type": "list", "has_next": start + limit < len(events), "has_prev": start > 0,
            "cursor_start": chunk[0]["id"] if chunk else None,
            "cursor_end": chunk[-1]["id"] if chunk else None, "data": chunk,
        })

    return serve


async def test_100_events_in_15_days_take_one_call_of_limit_100(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(AUDIT_LOG).mock(side_effect=cursor_log(
        [event(i, timedelta(hours=i)) for i in range(100)]))

    found = await client.list_audit_log(ORG, since=SINCE)

    assert len(found) == 100
    assert route.call_count == 1
    assert dict(route.calls[0].request.url.params) == {"limit": "100"}


async def test_paging_follows_the_cursor_and_stops_at_the_first_older_event(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    # 250 events an hour apart: 15 days hold 360 hours, so all of them; then 300 older.
    recent = [event(i, timedelta(hours=i)) for i in range(250)]
    older = [event(1000 + i, timedelta(days=16, hours=i)) for i in range(300)]
    route = api.get(AUDIT_LOG).mock(side_effect=cursor_log(recent + older))

    found = await client.list_audit_log(ORG, since=SINCE)

    assert [e.id for e in found] == [e["id"] for e in recent]
    # Pages 1-3 (the third reaches an older event): the 300 older ones are never asked for.
    assert route.call_count == 3
    assert [call.request.url.params.get("starting_after") for call in route.calls] == [
        None, recent[99]["id"], recent[199]["id"]]


async def test_actions_are_asked_for_and_filtered_here_too(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    # A server that ignores the filter, as the published description allows.
    route = api.get(AUDIT_LOG).mock(side_effect=cursor_log([
        event(1, timedelta(hours=1)),
        event(2, timedelta(hours=2), TOKEN_LEAKED, "tokleaked001"),
    ]))

    found = await client.list_audit_log(ORG, since=SINCE, actions=[TOKEN_LEAKED])

    assert [(e.audit_action, e.target_id) for e in found] == [(TOKEN_LEAKED, "tokleaked001")]
    assert route.calls[0].request.url.params.get_list("filters[]") == [
        f"audit_action:{TOKEN_LEAKED}"]


async def test_nullable_fields_and_a_time_without_zone_are_read(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    item = event(1, timedelta(hours=1), target=None) | {"created_at": "2026-11-30T10:00:00"}
    api.get(AUDIT_LOG).respond(200, json={"type": "list", "has_next": False, "data": [item]})

    [found] = await client.list_audit_log(ORG, since=SINCE)

    assert found.target_id is None
    assert found.created_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("body", [
    {"type": "list", "has_next": False},  # no data
    {"type": "list", "has_next": False, "data": [{"id": "evt1"}]},  # no action nor time
    {"type": "list", "has_next": False,
     "data": [event(1, timedelta(hours=1)) | {"created_at": SECRET_LOOKING}]},
    {"type": "list", "has_next": "perhaps", "data": []},
    [SECRET_LOOKING],
])
async def test_a_malformed_page_is_an_api_error_that_quotes_nothing(
    api: respx.MockRouter, client: PlanetScaleClient, body: Any
) -> None:
    api.get(AUDIT_LOG).respond(200, json=body)

    with pytest.raises(ApiError) as caught:
        await client.list_audit_log(ORG, since=SINCE)

    assert "audit log" in caught.value.message
    assert SECRET_LOOKING not in str(caught.value) + repr(caught.value)


async def test_a_body_that_is_not_json_is_an_api_error(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(AUDIT_LOG).respond(200, text="<html>maintenance</html>")

    with pytest.raises(ApiError, match="not JSON"):
        await client.list_audit_log(ORG, since=SINCE)


async def test_a_cursor_that_does_not_move_is_an_api_error_not_a_loop(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    page = {"type": "list", "has_next": True, "cursor_end": "evt000000001",
            "data": [event(1, timedelta(hours=1))]}
    route = api.get(AUDIT_LOG).respond(200, json=page)

    with pytest.raises(ApiError, match="same cursor"):
        await client.list_audit_log(ORG, since=SINCE)
    assert route.call_count == 2


async def test_without_read_audit_logs_the_api_answers_403_forbidden(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(AUDIT_LOG).respond(
        403, json={"code": "forbidden", "message": "Forbidden"})

    with pytest.raises(Forbidden):
        await client.list_audit_log(ORG, since=SINCE)
    assert route.call_count == 1  # a permanent answer: not retried
