"""How the adapters read lists, read bodies and pass errors on, against a scripted API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from pstokens.adapters import AdapterServers, bound, create_rest_app
from pstokens.adapters.bearer import presented_token
from pstokens.adapters.operations import Operations, check_segment
from pstokens.adapters.rest_bodies import Answer, error_answer
from pstokens.api import (
    ApiError,
    ConnectionFailed,
    Credentials,
    NotFound,
    OutcomeUnknown,
    PlanetScaleClient,
    RetryPolicy,
)

from .conftest import CRED_ID, CRED_SECRET, SERVE_TOKEN, Seen, rest_caller

Script = Callable[[httpx.Request], httpx.Response]


def page(items: list[dict[str, object]], next_page: int | None) -> dict[str, object]:
    return {"type": "list", "current_page": 1, "next_page": next_page, "data": items}


@pytest.fixture
def script() -> list[Script]:
    """The API's behaviour, set by each test."""
    return []


@pytest.fixture
async def scripted(script: list[Script]) -> AsyncIterator[PlanetScaleClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        return script[0](request)

    credentials = Credentials.service_token(CRED_ID, CRED_SECRET)
    async with PlanetScaleClient(
        "https://api.test/v1",
        credentials,
        transport=httpx.MockTransport(handler),
        rate_limit=0,
        retry=RetryPolicy(max_attempts=2, base_delay=0.0, jitter="none"),
    ) as client:
        yield client


async def test_a_list_follows_next_page_and_drops_repeats(
    scripted: PlanetScaleClient, script: list[Script]
) -> None:
    pages = {
        "1": page([{"id": "a"}, {"id": "b"}], 2),
        "2": page([{"id": "b"}, {"id": "c"}], 3),  # "b" again: a token was deleted meanwhile
        "3": page([], None),
    }
    asked: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        return httpx.Response(200, json=pages[request.url.params["page"]])

    script.append(answer)
    listed = await Operations(scripted).list_tokens("acme")

    assert [item["id"] for item in listed["data"]] == ["a", "b", "c"]
    assert listed["total_count"] == 3 and listed["next_page"] is None
    assert [a["page"] for a in asked] == ["1", "2", "3"]
    assert {a["per_page"] for a in asked} == {"100"}


@pytest.mark.parametrize("body", [{"data": "nope"}, [1, 2], page([{"id": "a"}], 1)])
async def test_a_list_that_does_not_look_like_one_is_an_error(
    scripted: PlanetScaleClient, script: list[Script], body: object
) -> None:
    script.append(lambda request: httpx.Response(200, json=body))

    with pytest.raises(ApiError) as caught:
        await Operations(scripted).list_tokens("acme")

    assert error_answer(caught.value).status == 502


async def test_the_accesses_path_is_the_apis_singular_one(
    scripted: PlanetScaleClient, script: list[Script]
) -> None:
    paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json=page([], None))

    script.append(answer)
    operations = Operations(scripted)
    await operations.list_accesses("acme", "tok123")
    await operations.grant_accesses("acme", "tok123", ["read_databases"], None)

    assert paths == [
        "GET /v1/organizations/acme/service-tokens/tok123/access",
        "POST /v1/organizations/acme/service-tokens/tok123/access",
    ]


def test_an_api_error_with_a_json_body_is_passed_on_as_is() -> None:
    body = {"code": "forbidden", "message": "Forbidden", "extra": [1]}
    error = ApiError("x", status=403, code="forbidden", body=body)

    assert error_answer(error) == Answer(403, body)


def test_an_api_error_without_a_json_body_gets_one() -> None:
    error = ApiError("GET /x: 503 PlanetScale server error", status=503, body="<html>busy</html>")

    assert error_answer(error) == Answer(
        503, {"code": "error", "message": "GET /x: 503 PlanetScale server error"}
    )


@pytest.mark.parametrize(
    "error",
    [
        ConnectionFailed("GET /x: network failure (ConnectError)"),
        OutcomeUnknown("POST /x: the token may or may not have been created"),
        ApiError("POST /x: the API answered 200 with a body that is not JSON", status=200),
    ],
)
def test_a_failure_without_an_http_error_is_502(error: ApiError) -> None:
    answer = error_answer(error)

    assert answer.status == 502
    assert answer.body == {"code": "bad_gateway", "message": error.message}


@pytest.mark.parametrize("segment", ["", ".", "..", ".hidden", "a/b", "a?b", "a b", "x" * 101])
def test_a_segment_that_could_change_the_path_is_not_found(segment: str) -> None:
    with pytest.raises(NotFound) as caught:
        check_segment(segment)

    assert error_answer(caught.value) == Answer(404, {"code": "not_found", "message": "Not Found"})


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        (b"", None),
        (b"Bearer", None),
        (b"Bearer abc", b"abc"),
        (b"bEaReR abc", b"abc"),
        (b"Basic abc", None),
        (b"abc", None),
    ],
)
def test_presented_token(header: bytes | None, token: bytes | None) -> None:
    assert presented_token(header) == token


async def test_rest_answers_502_when_the_api_cannot_be_reached(
    scripted: PlanetScaleClient, script: list[Script], seen: Seen
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect with {request.headers['Authorization']}")

    script.append(refuse)
    with bound("127.0.0.1", 0) as sock:
        adapter = AdapterServers(
            [("REST", create_rest_app(scripted, SERVE_TOKEN), sock, "/")], log_config=None
        )
        async with (
            adapter.running(),
            rest_caller(adapter, seen, f"Bearer {SERVE_TOKEN}") as caller,
        ):
            response = await caller.get("/v1/organizations/acme/service-tokens/abc")

    assert response.status_code == 502
    assert response.json()["code"] == "bad_gateway"
    assert "network failure" in response.json()["message"]
    assert CRED_SECRET not in response.text


async def test_rest_passes_a_server_error_on_after_the_retries(
    scripted: PlanetScaleClient, script: list[Script], seen: Seen
) -> None:
    calls: list[int] = []

    def fail(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        body = {"code": "internal", "message": f"echo {request.headers['Authorization']}"}
        return httpx.Response(500, content=json.dumps(body).encode())

    script.append(fail)
    with bound("127.0.0.1", 0) as sock:
        adapter = AdapterServers(
            [("REST", create_rest_app(scripted, SERVE_TOKEN), sock, "/")], log_config=None
        )
        async with (
            adapter.running(),
            rest_caller(adapter, seen, f"Bearer {SERVE_TOKEN}") as caller,
        ):
            response = await caller.get("/v1/organizations/acme/service-tokens")

    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert len(calls) == 2  # retried by pstokens' client first
    assert CRED_SECRET not in response.text  # the echoed credential is masked


@pytest.mark.parametrize(
    ("sent", "forwarded"),
    [
        ({"database": "", "access": ["read_databases"]}, {"access": ["read_databases"]}),
        ({"database": None, "access": ["read_databases"]}, {"access": ["read_databases"]}),
        ({"access": ["read_databases"]}, {"access": ["read_databases"]}),
        ({"database": "app", "access": ["read_branch"]},
         {"database": "app", "access": ["read_branch"]}),
    ],
)
async def test_an_organization_change_reaches_the_api_in_the_clients_one_form(
    scripted: PlanetScaleClient, script: list[Script], seen: Seen, sent: dict[str, object],
    forwarded: dict[str, object],
) -> None:
    bodies: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=page([], None))

    script.append(answer)
    with bound("127.0.0.1", 0) as sock:
        adapter = AdapterServers(
            [("REST", create_rest_app(scripted, SERVE_TOKEN), sock, "/")], log_config=None
        )
        async with (
            adapter.running(),
            rest_caller(adapter, seen, f"Bearer {SERVE_TOKEN}") as caller,
        ):
            path = "/v1/organizations/acme/service-tokens/tok123/accesses"
            granted = await caller.post(path, json=sent)
            revoked = await caller.request("DELETE", path, json=sent)

    assert (granted.status_code, revoked.status_code) == (200, 200)
    assert bodies == [forwarded, forwarded]


async def test_only_a_create_is_left_unsent_after_a_lost_answer(
    scripted: PlanetScaleClient, script: list[Script]
) -> None:
    """The adapters say which calls are idempotent: a grant, revoke or delete
    whose answer was a 502 is resent; a create is not (it may have happened)."""
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) % 2:
            return httpx.Response(502)
        return httpx.Response(200, json=page([], None))

    script.append(flaky)
    operations = Operations(scripted)
    await operations.grant_accesses("acme", "tok123", ["read_databases"], None)
    await operations.revoke_accesses("acme", "tok123", ["read_databases"], None)
    calls.clear()
    with pytest.raises(OutcomeUnknown, match="may or may not have been created"):
        await operations.create_token("acme", "x")

    assert calls == ["POST"]


@pytest.fixture
async def scripted_rest(
    scripted: PlanetScaleClient, seen: Seen
) -> AsyncIterator[httpx.AsyncClient]:
    """A REST caller of the adapter over the scripted API."""
    with bound("127.0.0.1", 0) as sock:
        adapter = AdapterServers(
            [("REST", create_rest_app(scripted, SERVE_TOKEN), sock, "/")], log_config=None
        )
        async with (
            adapter.running(),
            rest_caller(adapter, seen, f"Bearer {SERVE_TOKEN}") as caller,
        ):
            yield caller


TOKENS = "/v1/organizations/acme/service-tokens"


def record_calls(script: list[Script]) -> list[str]:
    """Script an API that answers 200 to anything; the methods it was sent, in order."""
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(200, json={})

    script.append(answer)
    return calls


@pytest.mark.parametrize(
    ("method", "path", "body", "named"),
    [
        ("POST", TOKENS, {"name": 5}, '"name"'),
        ("POST", TOKENS, {"ttl": "3600"}, '"ttl"'),
        ("POST", TOKENS, {"ttl": True}, '"ttl"'),
        ("POST", TOKENS, ["pscale_tkn_pastedbymistake"], "JSON object"),
        ("POST", TOKENS + "/tok123/accesses", {}, 'field "access" is required'),
        ("POST", TOKENS + "/tok123/accesses", {"access": "read_branch"}, '"access"'),
        ("DELETE", TOKENS + "/tok123/access", {"database": 7, "access": ["x"]}, '"database"'),
    ],
)
async def test_a_body_of_the_wrong_shape_is_422_naming_the_field_and_never_sent(
    scripted_rest: httpx.AsyncClient, script: list[Script], method: str, path: str,
    body: object, named: str,
) -> None:
    calls = record_calls(script)

    response = await scripted_rest.request(method, path, json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_params"
    assert named in response.json()["message"]
    assert "pscale_tkn_" not in response.text and "3600" not in response.text
    assert calls == []


async def test_a_page_that_is_not_a_number_is_422_and_never_sent(
    scripted_rest: httpx.AsyncClient, script: list[Script]
) -> None:
    calls = record_calls(script)

    response = await scripted_rest.get(TOKENS, params={"page": "two"})

    assert response.status_code == 422
    assert response.json()["message"] == "page must be a whole number of 1 or more"
    assert calls == []


@pytest.mark.parametrize("suffix", ["", "/tok123/accesses"])
async def test_asked_for_a_page_the_adapter_passes_it_and_the_apis_envelope_on(
    scripted_rest: httpx.AsyncClient, script: list[Script], suffix: str
) -> None:
    asked: list[dict[str, str]] = []
    envelope = {"type": "list", "current_page": 3, "next_page": None, "prev_page": 2,
                "next_page_url": None, "prev_page_url": "https://api.test/elsewhere",
                "total_count": 21, "data": [{"id": "u"}], "extra": "kept"}

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        return httpx.Response(200, json=envelope)

    script.append(answer)
    response = await scripted_rest.get(TOKENS + suffix, params={"page": 3, "per_page": 10})

    assert asked == [{"page": "3", "per_page": "10"}]  # one call: this page only
    body = response.json()
    assert {k: body[k] for k in ("current_page", "total_count", "data", "extra")} == {
        "current_page": 3, "total_count": 21, "data": [{"id": "u"}], "extra": "kept"
    }
    assert body["prev_page_url"].startswith(str(scripted_rest.base_url) + TOKENS + suffix)


async def test_a_grant_the_api_answers_without_a_body_is_204(
    scripted_rest: httpx.AsyncClient, script: list[Script]
) -> None:
    script.append(lambda request: httpx.Response(204))

    response = await scripted_rest.post(TOKENS + "/tok123/access", json={"access": ["x"]})

    assert (response.status_code, response.content) == (204, b"")
