"""The typed calls that answer with the API's JSON as sent (what the adapters pass on).

They take the same typed arguments, go to the same paths, send the same
bodies and resend (or not) exactly as the typed calls the engine uses; only
the answer differs: the API's JSON objects, fields pstokens does not read kept.
"""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from pstokens.api import ApiError, InvalidRequest, NotFound, OutcomeUnknown, PlanetScaleClient

from .helpers import (
    AUTH_ID,
    AUTH_SECRET,
    NEW_SECRET,
    ORG,
    access_json,
    envelope,
    token_json,
)

TOKENS = f"/organizations/{ORG}/service-tokens"
TOKEN = f"{TOKENS}/a00000000001"
ACCESS = f"{TOKEN}/access"
REFRESH = "pscale_rtkn_REFRESHvalue0123456789"


async def test_a_list_reads_every_page_into_one_envelope_and_drops_repeats(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    pages = {
        "1": envelope([token_json("a"), token_json("b")], next_page=2),
        "2": envelope([token_json("b"), token_json("c")], page=2),
    }
    route = api.get(TOKENS).mock(
        side_effect=lambda request: httpx.Response(200, json=pages[request.url.params["page"]])
    )

    listed = await client.list_tokens_json(ORG)

    assert [item["id"] for item in listed["data"]] == ["a", "b", "c"]
    assert listed["data"][0] == token_json("a")  # every field as sent
    assert (listed["total_count"], listed["next_page"], listed["total_pages"]) == (3, None, 1)
    assert {call.request.url.params["per_page"] for call in route.calls} == {"100"}


async def test_a_page_asked_for_is_that_one_request_and_the_apis_envelope_as_sent(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    page = {**envelope([access_json("read_branch", "app")], page=2, next_page=3), "x": 1}
    route = api.get(ACCESS).respond(json=page)

    listed = await client.list_accesses_json(ORG, "a00000000001", page=2, per_page=5)

    assert listed == page
    assert route.call_count == 1
    assert dict(route.calls.last.request.url.params) == {"page": "2", "per_page": "5"}
    assert route.calls.last.request.headers["Authorization"] == f"{AUTH_ID}:{AUTH_SECRET}"


async def test_only_the_paging_a_caller_gives_is_sent(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKENS).respond(json=envelope([]))

    await client.list_tokens_json(ORG, per_page=7)

    assert dict(route.calls.last.request.url.params) == {"per_page": "7"}


async def test_a_page_that_holds_no_list_is_an_api_error(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(TOKENS).respond(json={"data": "nope"})

    with pytest.raises(ApiError, match="does not look like PlanetScale's"):
        await client.list_tokens_json(ORG, page=1)


async def test_get_answers_the_token_as_sent(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(TOKEN).respond(json=token_json("a00000000001", "ci"))

    assert await client.get_token_json(ORG, "a00000000001") == token_json("a00000000001", "ci")


async def test_get_of_something_that_is_no_token_is_an_api_error(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(TOKEN).respond(json={"name": "no id"})

    with pytest.raises(ApiError, match="does not look like PlanetScale's"):
        await client.get_token_json(ORG, "a00000000001")


async def test_an_api_error_carries_the_apis_status_code_and_body(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    body = {"code": "not_found", "message": "Not Found"}
    api.get(f"{TOKENS}/zzz").respond(404, json=body)

    with pytest.raises(NotFound) as caught:
        await client.get_token_json(ORG, "zzz")

    assert (caught.value.status, caught.value.code, caught.value.body) == (404, "not_found", body)


async def test_a_create_keeps_the_whole_answer_and_reveals_its_secrets_only_when_asked(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    answer = {**token_json("a00000000001", "x", secret=NEW_SECRET),
              "plain_text_refresh_token": REFRESH, "avatar_url": "https://a.test/x.png"}
    route = api.post(TOKENS).respond(json=answer)

    created = await client.create_token(ORG, "x", ttl=60)

    assert json.loads(route.calls.last.request.content) == {"name": "x", "ttl": 60}
    assert created.reveal_answer() == answer
    assert created.answer["token"] is None and created.answer["plain_text_refresh_token"] is None
    assert created.answer["avatar_url"] == "https://a.test/x.png"
    assert NEW_SECRET not in repr(created) and REFRESH not in repr(created)


async def test_a_revealed_answer_adds_no_refresh_token_the_api_did_not_send(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.post(TOKENS).respond(json=token_json("a00000000001", "x", secret=NEW_SECRET))

    revealed = (await client.create_token(ORG, "x")).reveal_answer()

    assert "plain_text_refresh_token" not in revealed and revealed["token"] == NEW_SECRET


async def test_a_create_whose_answer_is_lost_is_outcome_unknown_and_not_resent(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(TOKENS).mock(
        side_effect=[httpx.RemoteProtocolError("eof"), httpx.Response(200)]
    )

    with pytest.raises(OutcomeUnknown, match="may or may not have been created"):
        await client.create_token(ORG, "x")

    assert route.call_count == 1


@pytest.mark.parametrize("database", [None, ""])
async def test_grant_and_revoke_answer_as_sent_and_send_the_organization_in_one_form(
    api: respx.MockRouter, client: PlanetScaleClient, database: str | None
) -> None:
    held = envelope([access_json("read_databases")])
    left = envelope([])
    grant = api.post(ACCESS).respond(json=held)
    revoke = api.delete(ACCESS).respond(json=left)

    granted = await client.grant_accesses_json(ORG, "a00000000001", ["read_databases"], database)
    revoked = await client.revoke_accesses_json(ORG, "a00000000001", ["read_databases"], database)

    assert (granted, revoked) == (held, left)
    for route in (grant, revoke):
        assert json.loads(route.calls.last.request.content) == {"access": ["read_databases"]}


async def test_a_grant_or_revoke_answered_without_a_body_answers_none(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.post(ACCESS).respond(204)
    api.delete(ACCESS).respond(204)

    assert await client.grant_accesses_json(ORG, "a00000000001", ["read_branch"], "app") is None
    assert await client.revoke_accesses_json(ORG, "a00000000001", ["read_branch"], "app") is None


async def test_a_grant_is_resent_after_a_lost_answer_a_create_is_not(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    """Whether a call is resent is the call's, not its caller's, to say."""
    grant = api.post(ACCESS).mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json=envelope([]))]
    )
    create = api.post(TOKENS).mock(side_effect=[httpx.Response(502), httpx.Response(200)])

    await client.grant_accesses_json(ORG, "a00000000001", ["read_branch"], "app")
    with pytest.raises(OutcomeUnknown):
        await client.create_token(ORG, "x")

    assert (grant.call_count, create.call_count) == (2, 1)


@pytest.mark.parametrize("segment", ["", ".", ".."])
async def test_no_call_reaches_another_path(
    api: respx.MockRouter, client: PlanetScaleClient, segment: str
) -> None:
    with pytest.raises(InvalidRequest):
        await client.get_token_json(ORG, segment)
    with pytest.raises(InvalidRequest):
        await client.list_accesses_json(segment, "a00000000001", page=1)
    with pytest.raises(InvalidRequest):
        await client.grant_accesses_json(ORG, segment, ["read_branch"], "app")

    assert not api.calls
