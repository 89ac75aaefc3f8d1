"""`verify_credentials`: one call as the new token, never with the client's own credentials."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from pstokens.api import PlanetScaleClient
from pstokens.api.errors import Forbidden, InvalidRequest, Unauthorized
from pstokens.secret import Secret

from .helpers import AUTH_SECRET

NEW_SECRET = "pscale_tkn_new-token-secret-0123456789"


async def test_it_calls_list_organizations_as_the_new_token(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient]
) -> None:
    route = api.get("/organizations").mock(return_value=httpx.Response(
        200, json={"type": "list", "data": [{"id": "o1", "type": "Organization", "name": "acme"}]}))
    client = make_client()
    await client.verify_credentials("newid", Secret(NEW_SECRET))
    (call,) = route.calls
    assert call.request.headers["Authorization"] == f"newid:{NEW_SECRET}"
    assert AUTH_SECRET not in str(call.request.headers)
    # The client's own session is untouched by the short-lived one.
    api.get("/organizations/acme/service-tokens").mock(return_value=httpx.Response(
        200, json={"type": "list", "data": []}))
    assert await client.list_tokens("acme") == []


async def test_refused_credentials_raise_unauthorized_without_the_secret(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient]
) -> None:
    api.get("/organizations").mock(return_value=httpx.Response(
        401, json={"code": "unauthorized", "message": f"bad header newid:{NEW_SECRET}"}))
    with pytest.raises(Unauthorized) as caught:
        await make_client().verify_credentials("newid", Secret(NEW_SECRET))
    assert NEW_SECRET not in str(caught.value) and NEW_SECRET not in repr(caught.value)
    assert "newid" in caught.value.message


async def test_get_as_fills_the_tables_path_and_calls_it_as_the_new_token(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient]
) -> None:
    route = api.get("/organizations/acme/databases/app%2Fprod/branches").mock(
        return_value=httpx.Response(200, json={"type": "list", "data": []}))
    await make_client().get_as(
        "newid", Secret(NEW_SECRET),
        "/v1/organizations/{organization}/databases/{database}/branches",
        organization="acme", database="app/prod")
    (call,) = route.calls
    assert call.request.headers["Authorization"] == f"newid:{NEW_SECRET}"
    assert AUTH_SECRET not in str(call.request.headers)


async def test_get_as_maps_403_to_forbidden_without_the_secret(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient]
) -> None:
    api.get("/organizations/acme").mock(return_value=httpx.Response(
        403, json={"code": "forbidden", "message": f"no access for newid:{NEW_SECRET}"}))
    with pytest.raises(Forbidden) as caught:
        await make_client().get_as("newid", Secret(NEW_SECRET),
                                   "/v1/organizations/{organization}", organization="acme")
    assert NEW_SECRET not in str(caught.value) and caught.value.status == 403


async def test_get_as_refuses_a_path_with_a_parameter_it_was_not_given(
    make_client: Callable[..., PlanetScaleClient]
) -> None:
    with pytest.raises(InvalidRequest, match=r"no value for \{branch\}"):
        await make_client().get_as("newid", Secret(NEW_SECRET),
                                   "/v1/organizations/{organization}/x/{branch}",
                                   organization="acme")
