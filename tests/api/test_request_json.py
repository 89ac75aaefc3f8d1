from __future__ import annotations

import json

import httpx
import pytest
import respx

from pstokens.api import InvalidRequest, NotFound, OutcomeUnknown, PlanetScaleClient

from .helpers import AUTH_ID, AUTH_SECRET, NEW_SECRET, ORG, envelope, token_json

TOKENS = f"/organizations/{ORG}/service-tokens"


async def test_request_json_returns_status_and_parsed_body(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKENS).respond(json=envelope([token_json("a00000000001")]))
    status, body = await client.request_json("get", TOKENS, params={"page": 2, "per_page": 5})
    assert status == 200
    assert body["data"][0]["id"] == "a00000000001"
    request = route.calls.last.request
    assert dict(request.url.params) == {"page": "2", "per_page": "5"}
    assert request.headers["Authorization"] == f"{AUTH_ID}:{AUTH_SECRET}"


async def test_request_json_returns_none_for_an_empty_body(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.delete(f"{TOKENS}/a00000000001").respond(204)
    assert await client.request_json("DELETE", f"{TOKENS}/a00000000001") == (204, None)


async def test_request_json_passes_the_upstream_error_through(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    body = {"code": "not_found", "message": "Not Found"}
    api.get(f"{TOKENS}/zzz").respond(404, json=body)
    with pytest.raises(NotFound) as caught:
        await client.request_json("GET", f"{TOKENS}/zzz")
    assert (caught.value.status, caught.value.code, caught.value.body) == (404, "not_found", body)


async def test_request_json_create_is_not_resent_after_a_lost_answer(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).mock(
        side_effect=[httpx.RemoteProtocolError("eof"), httpx.Response(200)]
    )
    with pytest.raises(OutcomeUnknown, match="may or may not have been created"):
        await client.request_json("POST", TOKENS, json={"name": "x"})
    assert route.call_count == 1


async def test_request_json_create_returns_the_secret_for_the_adapter(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).respond(json=token_json("a00000000001", "x", secret=NEW_SECRET))
    status, body = await client.request_json("POST", TOKENS, json={"name": "x"})
    assert (status, body["token"]) == (200, NEW_SECRET)
    assert json.loads(route.calls.last.request.content) == {"name": "x"}


@pytest.mark.parametrize("suffix", ["access", "accesses"])
async def test_request_json_grant_is_retried(
    api: respx.MockRouter, client: PlanetScaleClient, suffix: str
) -> None:
    path = f"{TOKENS}/a00000000001/{suffix}"
    route = api.post(path).mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json=envelope([]))]
    )
    assert (await client.request_json("POST", path, json={"access": ["read_databases"]}))[0] == 200
    assert route.call_count == 2


@pytest.mark.parametrize(
    "path",
    ["https://elsewhere.test/steal", "//elsewhere.test/steal", "organizations/acme", "/a/../b"],
)
async def test_request_json_never_sends_the_credentials_outside_the_api(
    api: respx.MockRouter, client: PlanetScaleClient, path: str
) -> None:
    with pytest.raises(InvalidRequest):
        await client.request_json("GET", path)
    assert not api.calls
