from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import respx

from pstokens.api import (
    ApiError,
    ConnectionFailed,
    InvalidRequest,
    OutcomeUnknown,
    PlanetScaleClient,
    ServiceToken,
)

from .helpers import NEW_SECRET, ORG, access_json, envelope, token_json

TOKENS = f"/organizations/{ORG}/service-tokens"
ACCESS = f"{TOKENS}/a00000000001/access"


def created(name: str = "ci-deploy") -> httpx.Response:
    return httpx.Response(
        200, json=token_json("a00000000001", name, accesses=[], secret=NEW_SECRET)
    )


# Creating a token


async def test_create_sends_name_and_ttl_and_returns_the_secret_apart(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).mock(return_value=created())
    result = await client.create_token(ORG, "ci-deploy", ttl=3600)
    assert json.loads(route.calls.last.request.content) == {"name": "ci-deploy", "ttl": 3600}
    assert result.token.id == "a00000000001"
    assert result.token.name == "ci-deploy"
    assert result.secret.reveal() == NEW_SECRET


async def test_create_without_name_or_ttl_sends_an_empty_object(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).mock(return_value=created())
    await client.create_token(ORG)
    assert json.loads(route.calls.last.request.content) == {}


async def test_a_create_answer_without_a_secret_is_an_error_naming_the_token(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.post(TOKENS).respond(200, json=token_json("a00000000001", "ci-deploy"))
    with pytest.raises(
        ApiError, match='"a00000000001" was created but the answer carries no secret'
    ):
        await client.create_token(ORG, "ci-deploy")


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.ReadTimeout,
        httpx.WriteError,
        httpx.WriteTimeout,
    ],
)
async def test_a_create_lost_after_sending_is_outcome_unknown_and_sent_once(
    api: respx.MockRouter, client: PlanetScaleClient, failure: type[Exception]
) -> None:
    route = api.post(TOKENS).mock(side_effect=[failure, created()])
    with pytest.raises(OutcomeUnknown) as caught:
        await client.create_token(ORG, "ci-deploy")
    assert route.call_count == 1
    assert "may or may not have been created" in str(caught.value)
    assert 'create service token "ci-deploy" in "acme"' in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_create_answered_by_a_server_error_is_outcome_unknown_and_sent_once(
    api: respx.MockRouter, client: PlanetScaleClient, status: int
) -> None:
    route = api.post(TOKENS).mock(side_effect=[httpx.Response(status), created()])
    with pytest.raises(OutcomeUnknown, match="may or may not have been created") as caught:
        await client.create_token(ORG, "ci-deploy")
    assert route.call_count == 1
    assert caught.value.status == status


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.Response(429)]
)
async def test_a_create_that_never_reached_the_server_is_retried(
    api: respx.MockRouter,
    client: PlanetScaleClient,
    failure: httpx.Response | Exception | type[Exception],
) -> None:
    route = api.post(TOKENS).mock(side_effect=[failure, created()])
    result = await client.create_token(ORG, "ci-deploy")
    assert route.call_count == 2
    assert result.secret.reveal() == NEW_SECRET


async def test_a_create_that_can_never_connect_raises_connection_failed(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectionFailed):
        await client.create_token(ORG, "ci-deploy")
    assert route.call_count == 6


async def test_a_rejected_create_is_not_retried(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).respond(422, json={"code": "invalid_params", "message": "bad ttl"})
    with pytest.raises(InvalidRequest, match="bad ttl"):
        await client.create_token(ORG, "ci-deploy", ttl=-1)
    assert route.call_count == 1


# Deleting


async def test_delete_sends_one_delete(api: respx.MockRouter, client: PlanetScaleClient) -> None:
    route = api.delete(f"{TOKENS}/a00000000001").respond(204)
    await client.delete_token(ORG, "a00000000001")
    assert route.call_count == 1


# Granting and revoking


async def test_grant_sends_one_post_with_the_database_and_all_accesses(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(ACCESS).respond(
        json=envelope(
            [access_json("read_branch", "app-prod"), access_json("create_branch", "app-prod")]
        )
    )
    granted = await client.grant_accesses(
        ORG, "a00000000001", ["read_branch", "create_branch"], database="app-prod"
    )
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content) == {
        "database": "app-prod",
        "access": ["read_branch", "create_branch"],
    }
    assert {(a.database, a.access) for a in granted} == {
        ("app-prod", "read_branch"),
        ("app-prod", "create_branch"),
    }


@pytest.mark.parametrize("database", [None, ""])
async def test_an_organization_grant_and_revoke_leave_database_out(
    api: respx.MockRouter, client: PlanetScaleClient, database: str | None
) -> None:
    route = api.post(ACCESS).respond(json=envelope([access_json("read_databases")]))
    revoke = api.delete(ACCESS).respond(json=envelope([]))
    granted = await client.grant_accesses(ORG, "a00000000001", ["read_databases"], database)
    await client.revoke_accesses(ORG, "a00000000001", ["read_databases"], database)
    assert json.loads(route.calls.last.request.content) == {"access": ["read_databases"]}
    assert json.loads(revoke.calls.last.request.content) == {"access": ["read_databases"]}
    assert [(a.id, a.access, a.database) for a in granted] == [
        ("hjqui654yu71", "read_databases", None)
    ]


async def test_revoke_sends_one_delete_with_a_json_body(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.delete(ACCESS).respond(200, json={})
    await client.revoke_accesses(ORG, "a00000000001", ["read_branch", "create_branch"], "app-prod")
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "database": "app-prod",
        "access": ["read_branch", "create_branch"],
    }


async def test_an_organization_revoke_leaves_database_out(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.delete(ACCESS).respond(204)
    await client.revoke_accesses(ORG, "a00000000001", ["read_databases"])
    assert json.loads(route.calls.last.request.content) == {"access": ["read_databases"]}


async def test_grants_and_revokes_are_retried_on_lost_answers(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    grant = api.post(ACCESS).mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.Response(500),
            httpx.Response(200, json=envelope([])),
        ]
    )
    revoke = api.delete(ACCESS).mock(
        side_effect=[httpx.RemoteProtocolError("eof"), httpx.Response(200)]
    )
    await client.grant_accesses(ORG, "a00000000001", ["read_branch"], "app-prod")
    await client.revoke_accesses(ORG, "a00000000001", ["read_branch"], "app-prod")
    assert (grant.call_count, revoke.call_count) == (3, 2)


async def test_a_grant_on_an_unknown_database_says_so_without_retrying(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(ACCESS).respond(404, json={"code": "not_found", "message": "Not Found"})
    with pytest.raises(ApiError) as caught:
        await client.grant_accesses(ORG, "a00000000001", ["read_branch"], "nope")
    assert route.call_count == 1
    assert 'grant read_branch on database "nope" to service token "a00000000001"' in str(
        caught.value
    )


def test_accesses_given_as_one_string_are_refused() -> None:
    from pstokens.api.paths import access_body

    with pytest.raises(TypeError):
        access_body("read_branch", None)


# Reading accesses


async def test_accesses_of_uses_embedded_accesses_without_a_request(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(ACCESS).respond(json=envelope([]))
    token = ServiceToken.model_validate(
        token_json(
            "a00000000001",
            accesses=[
                {
                    "id": "hjqui654yu71",
                    "access": "read_branch",
                    "resource_name": "app-prod",
                    "resource_type": "Database",
                    "resource": {"id": "1lbjwnp48b6r", "name": "app-prod"},
                },
            ],
        )
    )
    accesses = await client.accesses_of(ORG, token)
    assert [(a.database, a.access) for a in accesses] == [("app-prod", "read_branch")]
    assert route.call_count == 0


async def test_accesses_of_trusts_an_embedded_empty_list(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(ACCESS).respond(json=envelope([]))
    token = ServiceToken.model_validate(token_json("a00000000001", accesses=[]))
    assert await client.accesses_of(ORG, token) == []
    assert route.call_count == 0


async def test_accesses_of_reads_them_when_not_embedded(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient]
) -> None:
    route = api.get(ACCESS).mock(
        side_effect=[
            httpx.Response(
                200, json=envelope([access_json("read_databases", access_id="x1")], 1, next_page=2)
            ),
            httpx.Response(200, json=envelope([access_json("read_branch", "app-prod", "x2")], 2)),
        ]
    )
    token = ServiceToken.model_validate(token_json("a00000000001", accesses=None))
    accesses = await make_client().accesses_of(ORG, token)
    assert [(a.database, a.access) for a in accesses] == [
        (None, "read_databases"),
        ("app-prod", "read_branch"),
    ]
    assert route.call_count == 2


async def test_list_grants_reads_every_page(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    grant = {"resource_name": "app-prod", "resource_type": "Database", "accesses": ["read_branch"]}
    route = api.get(f"{TOKENS}/a00000000001/grants").respond(json=envelope([grant]))
    assert await client.list_grants(ORG, "a00000000001") == [grant]
    assert route.call_count == 1
