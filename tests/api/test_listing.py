from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import respx

from pstokens.api import ApiError, InvalidRequest, PlanetScaleClient

from .helpers import ORG, STAMP, envelope, token_ids, token_json

TOKENS = f"/organizations/{ORG}/service-tokens"


def paged_tokens(total: int) -> Callable[[httpx.Request], httpx.Response]:
    """A server holding `total` tokens, paginated the way PlanetScale does it."""
    ids = token_ids(total)

    def serve(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        per_page = min(int(request.url.params.get("per_page", "25")), 100)
        chunk = ids[(page - 1) * per_page : page * per_page]
        more = page * per_page < total
        body = envelope(
            [token_json(i, f"name-{i}") for i in chunk], page, per_page, page + 1 if more else None
        )
        return httpx.Response(200, json=body)

    return serve


async def test_130_tokens_take_exactly_two_requests_of_100(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKENS).mock(side_effect=paged_tokens(130))
    tokens = await client.list_tokens(ORG)
    assert [t.id for t in tokens] == token_ids(130)
    assert route.call_count == 2
    assert [dict(call.request.url.params) for call in route.calls] == [
        {"page": "1", "per_page": "100"},
        {"page": "2", "per_page": "100"},
    ]


async def test_listing_follows_next_page_to_the_end(
    api: respx.MockRouter, make_client: Callable[..., PlanetScaleClient]
) -> None:
    route = api.get(TOKENS).mock(side_effect=paged_tokens(130))
    tokens = await make_client(per_page=25).list_tokens(ORG)
    assert len(tokens) == 130
    assert route.call_count == 6


async def test_listing_goes_where_next_page_points(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKENS).mock(
        side_effect=[
            httpx.Response(200, json=envelope([token_json("a00000000001")], 1, next_page=3)),
            httpx.Response(200, json=envelope([token_json("a00000000003")], 3, next_page=None)),
        ]
    )
    tokens = await client.list_tokens(ORG)
    assert [t.id for t in tokens] == ["a00000000001", "a00000000003"]
    assert [call.request.url.params["page"] for call in route.calls] == ["1", "3"]


async def test_listing_stops_at_an_empty_page_even_if_next_page_says_more(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(TOKENS).mock(
        side_effect=lambda request: httpx.Response(
            200,
            json=envelope(
                [token_json(f"a0000000000{request.url.params['page']}")]
                if request.url.params["page"] != "3"
                else [],
                int(request.url.params["page"]),
                next_page=int(request.url.params["page"]) + 1,
            ),
        )
    )
    tokens = await client.list_tokens(ORG)
    assert len(tokens) == 2
    assert route.call_count == 3


async def test_a_next_page_that_does_not_advance_is_an_error_not_a_loop(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(TOKENS).respond(json=envelope([token_json("a00000000001")], 1, next_page=1))
    with pytest.raises(ApiError, match="next_page 1 after page 1"):
        await client.list_tokens(ORG)


async def test_a_token_repeated_across_pages_is_listed_once(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(TOKENS).mock(
        side_effect=[
            httpx.Response(200, json=envelope([token_json("a00000000001")], 1, next_page=2)),
            httpx.Response(200, json=envelope([token_json("a00000000001")], 2)),
        ]
    )
    assert [t.id for t in await client.list_tokens(ORG)] == ["a00000000001"]


async def test_dates_are_parsed_as_aware_datetimes(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    item = token_json("a00000000001", "ci")
    item["expires_at"] = STAMP
    api.get(f"{TOKENS}/a00000000001").respond(json=item)
    token = await client.get_token(ORG, "a00000000001")
    expected = datetime(2026, 1, 14, 10, 19, 23, tzinfo=UTC)
    assert token.created_at == expected
    assert token.expires_at == expected
    assert token.created_at is not None and token.created_at.tzinfo is not None
    assert token.last_used_at is None


async def test_a_malformed_answer_is_an_api_error_quoting_no_values(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.get(f"{TOKENS}/a00000000001").respond(
        json={"id": ["not", "a", "string"], "created_at": "sensitive-looking-value"}
    )
    with pytest.raises(ApiError) as caught:
        await client.get_token(ORG, "a00000000001")
    assert "does not look like" in str(caught.value)
    assert "sensitive-looking-value" not in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


async def test_a_malformed_item_on_a_page_is_an_api_error_quoting_no_values(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    good, bad = token_json("a00000000001"), token_json("a00000000002")
    bad["name"] = {"pscale_tkn_lookslikeasecret": 1}
    api.get(TOKENS).respond(json=envelope([good, bad]))
    with pytest.raises(ApiError) as caught:
        await client.list_tokens(ORG)
    message = str(caught.value)
    assert "does not look like PlanetScale's (data.1.name:" in message
    assert "pscale_tkn_" not in message
    assert caught.value.__context__ is None and caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>502 Bad Gateway</html>", "answered 200 with a body that is not JSON"),
        (b'[{"id": "a00000000001"}]', "does not look like PlanetScale's"),
        (b'{"type": "list", "next_page": null}', "data: field required"),
        (b'{"data": {"id": "a00000000001"}}', "data: expected array, got object"),
        (b'{"data": [{"id": "a1", "created_at": "pscale_tkn_x"}]}',
         "data.0.created_at: invalid RFC3339 encoded datetime"),
        (b'{"data": [{"id": "a1", "service_token_accesses": [{"id": "x"}]}]}',
         "data.0.service_token_accesses.0.access: field required"),
    ],
)
async def test_a_page_that_is_not_a_list_envelope_is_an_api_error(
    api: respx.MockRouter, client: PlanetScaleClient, body: bytes, problem: str
) -> None:
    api.get(TOKENS).respond(200, content=body)
    with pytest.raises(ApiError) as caught:
        await client.list_tokens(ORG)
    assert problem in str(caught.value)
    # Where and what, never the value found there, and no decoder error chained on.
    assert "pscale_tkn_" not in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


async def test_embedded_accesses_are_read_from_their_flat_resource_fields(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    embedded = [
        {"id": "x1", "access": "read_branch", "resource_type": "Database",
         "resource_name": "app-prod", "resource": {"id": "db1", "name": "app-prod"}},
        {"id": "x2", "access": "read_databases", "resource_type": "Organization",
         "resource_name": ORG, "resource": {"id": "org1", "name": ORG}},
    ]
    api.get(TOKENS).respond(json=envelope([token_json("a00000000001", accesses=embedded)]))
    [token] = await client.list_tokens(ORG)
    assert token.accesses is not None
    assert [(a.id, a.access, a.database) for a in token.accesses] == [
        ("x1", "read_branch", "app-prod"),
        ("x2", "read_databases", None),
    ]


async def test_ids_and_organizations_are_escaped_into_one_path_segment(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.get(url__regex=r".*").respond(json=token_json("x"))
    await client.get_token("ac/me", "../x")
    assert route.calls.last.request.url.raw_path.startswith(
        b"/v1/organizations/ac%2Fme/service-tokens/..%2Fx"
    )


@pytest.mark.parametrize("token_id", ["..", "."])
async def test_dot_segments_are_refused_before_any_request(
    api: respx.MockRouter, client: PlanetScaleClient, token_id: str
) -> None:
    # httpx resolves "..", even escaped, so DELETE .../service-tokens/.. would
    # reach another path: such an ID never leaves the client.
    route = api.delete(url__regex=r".*").respond(204)
    with pytest.raises(InvalidRequest):
        await client.delete_token(ORG, token_id)
    assert not route.called


async def test_an_empty_token_id_is_refused_before_any_request(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    with pytest.raises(InvalidRequest):
        await client.get_token(ORG, "")
    assert not api.calls


async def test_a_secret_in_a_list_item_is_dropped_unread(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    """The API never lists secrets; were one there, no listed token would hold it."""
    item = token_json("a00000000001", "ci")
    item["token"] = "pscale_tkn_listedbymistake"
    item["plain_text_refresh_token"] = "pscale_rtkn_listedbymistake"
    api.get(TOKENS).respond(json=envelope([item]))

    [token] = await client.list_tokens(ORG)

    assert token.id == "a00000000001" and token.name == "ci"
    assert "listedbymistake" not in repr(token)
    assert not any("listedbymistake" in str(getattr(token, field))
                   for field in token.__struct_fields__)
