from __future__ import annotations

import json

import httpx
import pytest
import respx

from pstokens.api import InvalidRequest, NotFound, OutcomeUnknown, PlanetScaleClient
from pstokens.api.client import LOST_CREATE

from .helpers import AUTH_ID, AUTH_SECRET, NEW_SECRET, ORG, envelope, token_json

TOKENS = f"/organizations/{ORG}/service-tokens"


async def test_request_json_returns_status_and_parsed_body(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKENS).respond(json=envelope([token_json("a00000000001")]))
    status, body = await client.request_json(
        "get", TOKENS, params={"page": 2, "per_page": 5}, idempotent=True
    )
    assert status == 200
    assert body["data"][0]["id"] == "a00000000001"
    request = route.calls.last.request
    assert dict(request.url.params) == {"page": "2", "per_page": "5"}
    assert request.headers["Authorization"] == f"{AUTH_ID}:{AUTH_SECRET}"


async def test_request_json_returns_none_for_an_empty_body(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.delete(f"{TOKENS}/a00000000001").respond(204)
    path = f"{TOKENS}/a00000000001"
    assert await client.request_json("DELETE", path, idempotent=True) == (204, None)


async def test_request_json_passes_the_upstream_error_through(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    body = {"code": "not_found", "message": "Not Found"}
    api.get(f"{TOKENS}/zzz").respond(404, json=body)
    with pytest.raises(NotFound) as caught:
        await client.request_json("GET", f"{TOKENS}/zzz", idempotent=True)
    assert (caught.value.status, caught.value.code, caught.value.body) == (404, "not_found", body)


async def test_a_call_its_caller_says_is_not_idempotent_is_not_resent_after_a_lost_answer(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).mock(
        side_effect=[httpx.RemoteProtocolError("eof"), httpx.Response(200)]
    )
    with pytest.raises(OutcomeUnknown, match="may or may not have been created"):
        await client.request_json(
            "POST", TOKENS, json={"name": "x"}, idempotent=False, effect=LOST_CREATE
        )
    assert route.call_count == 1


async def test_the_caller_not_the_path_decides_whether_a_call_is_resent(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    """The same POST is resent when its caller says it is idempotent, and not when not."""
    route = api.post(TOKENS).mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json={}), httpx.Response(502)]
    )
    assert (await client.request_json("POST", TOKENS, json={}, idempotent=True))[0] == 200
    assert route.call_count == 2
    with pytest.raises(OutcomeUnknown, match="may or may not have taken effect"):
        await client.request_json("POST", TOKENS, json={}, idempotent=False)
    assert route.call_count == 3


async def test_request_json_create_returns_the_secret_for_the_adapter(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).respond(json=token_json("a00000000001", "x", secret=NEW_SECRET))
    status, body = await client.request_json("POST", TOKENS, json={"name": "x"}, idempotent=False)
    assert (status, body["token"]) == (200, NEW_SECRET)
    assert json.loads(route.calls.last.request.content) == {"name": "x"}


async def test_list_json_reads_every_page_and_drops_repeats(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    """The adapters' lists go through the client's own paging."""
    path = f"{TOKENS}/a00000000001/access"
    pages = {
        "1": envelope([{"id": "a", "access": "x"}, {"id": "b", "access": "y"}], next_page=2),
        "2": envelope([{"id": "b", "access": "y"}, {"id": "c", "access": "z"}], page=2),
    }
    route = api.get(path).mock(
        side_effect=lambda request: httpx.Response(200, json=pages[request.url.params["page"]])
    )
    assert [item["id"] for item in await client.list_json(path)] == ["a", "b", "c"]
    assert {call.request.url.params["per_page"] for call in route.calls} == {"100"}


@pytest.mark.parametrize(
    "path",
    ["https://elsewhere.test/steal", "//elsewhere.test/steal", "organizations/acme", "/a/../b"],
)
async def test_request_json_never_sends_the_credentials_outside_the_api(
    api: respx.MockRouter, client: PlanetScaleClient, path: str
) -> None:
    with pytest.raises(InvalidRequest):
        await client.request_json("GET", path, idempotent=True)
    with pytest.raises(InvalidRequest):
        await client.list_json(path)
    assert not api.calls
