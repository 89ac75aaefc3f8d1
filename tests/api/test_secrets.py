from __future__ import annotations

import logging
import pickle
from collections.abc import Callable

import httpx
import pytest
import respx

from pstokens.api import ApiError, OutcomeUnknown, PlanetScaleClient, RetryPolicy, Unauthorized

from .helpers import AUTH_ID, AUTH_SECRET, NEW_SECRET, ORG, envelope, token_json

TOKENS = f"/organizations/{ORG}/service-tokens"


def created() -> httpx.Response:
    return httpx.Response(200, json=token_json("a00000000001", "ci-deploy", secret=NEW_SECRET))


async def test_a_new_secret_is_hidden_from_repr_str_and_model_dumps(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.post(TOKENS).mock(return_value=created())
    result = await client.create_token(ORG, "ci-deploy")
    assert result.secret.reveal() == NEW_SECRET
    shown = [
        repr(result),
        str(result),
        f"{result}",
        repr(result.secret),
        str(result.secret),
        f"{result.secret}",
        repr(result.token),
        str(result.token.model_dump()),
        result.token.model_dump_json(),
    ]
    for text in shown:
        assert NEW_SECRET not in text
    assert "token" not in result.token.model_dump()
    with pytest.raises(TypeError):
        pickle.dumps(result)


async def test_debug_logs_never_hold_the_authorization_header_or_a_secret(
    api: respx.MockRouter,
    make_client: Callable[..., PlanetScaleClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="pstokens.api")
    api.post(TOKENS).mock(
        side_effect=[httpx.ConnectError("refused"), created(), httpx.ReadError("reset")]
    )
    api.get(TOKENS).respond(json=envelope([token_json("a00000000001", "ci-deploy")]))
    api.delete(f"{TOKENS}/a00000000001").respond(
        401, json={"code": "unauthorized", "message": f"bad {AUTH_ID}:{AUTH_SECRET}"}
    )
    client = make_client(retry=RetryPolicy(jitter="none"))

    await client.create_token(ORG, "ci-deploy")
    await client.list_tokens(ORG)
    with pytest.raises(OutcomeUnknown):
        await client.create_token(ORG, "ci-deploy")
    with pytest.raises(Unauthorized):
        await client.delete_token(ORG, "a00000000001")

    assert caplog.records, "the client logs at debug level"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (AUTH_SECRET, f"{AUTH_ID}:{AUTH_SECRET}", NEW_SECRET, "Authorization"):
        assert secret not in logged
    lines = [r.getMessage() for r in caplog.records]
    assert f"POST {TOKENS} -> 200 (attempt 2, 0.000s)" in lines
    assert f"DELETE {TOKENS}/a00000000001 -> 401 (attempt 1, 0.000s)" in lines
    assert any(line.startswith(f"POST {TOKENS} -> ConnectError: refused") for line in lines)


async def test_a_non_json_create_answer_is_never_quoted(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.post(TOKENS).respond(200, text=f"token={NEW_SECRET}")
    with pytest.raises(ApiError, match="not JSON") as caught:
        await client.create_token(ORG, "ci-deploy")
    assert NEW_SECRET not in str(caught.value)
    assert NEW_SECRET not in repr(getattr(caught.value, "body", None))


@pytest.mark.parametrize("refresh", [None, "", "pscale_rtkn_REFRESHvalue0123456789"])
async def test_a_refresh_token_is_a_secret_kept_apart_from_the_model(
    api: respx.MockRouter, client: PlanetScaleClient, refresh: str | None
) -> None:
    answer = {**token_json("a00000000001", "ci", secret=NEW_SECRET),
              "plain_text_refresh_token": refresh, "avatar_url": "https://example.test/a.png"}
    api.post(TOKENS).respond(200, json=answer)

    result = await client.create_token(ORG, "ci")

    if refresh:
        assert result.refresh_token is not None and result.refresh_token.reveal() == refresh
        shown = [repr(result), str(result), repr(result.token), result.token.model_dump_json()]
        assert all(refresh not in text for text in shown)
    else:
        assert result.refresh_token is None
    assert "plain_text_refresh_token" not in result.token.model_dump()
