from __future__ import annotations

import httpx
import pytest
import respx

from pstokens.api import Credentials, InvalidCredentials, MissingCredentials, PlanetScaleClient

from .helpers import BASE_URL, ORG, envelope

PAIR = {"PLANETSCALE_SERVICE_TOKEN_ID": "abc123def456", "PLANETSCALE_SERVICE_TOKEN": "pscale_tkn_x"}
KEY = {"PLANETSCALE_API_KEY": "pscale_oauth_key"}


def test_service_token_header_is_id_colon_token_without_scheme() -> None:
    assert Credentials.service_token("abc123def456", "pscale_tkn_x").authorization() == (
        "abc123def456:pscale_tkn_x"
    )


def test_api_key_header_is_bearer() -> None:
    assert Credentials.bearer("pscale_oauth_key").authorization() == "Bearer pscale_oauth_key"


def test_from_env_prefers_the_service_token_pair_over_the_api_key() -> None:
    credentials = Credentials.from_env({**PAIR, **KEY})
    assert credentials is not None
    assert credentials.authorization() == "abc123def456:pscale_tkn_x"


def test_from_env_uses_the_api_key_without_a_pair() -> None:
    credentials = Credentials.from_env(KEY)
    assert credentials is not None
    assert credentials.authorization() == "Bearer pscale_oauth_key"


def test_from_env_without_credentials_names_the_variables_to_set() -> None:
    for env in ({}, {"PLANETSCALE_API_KEY": "  "}):
        with pytest.raises(MissingCredentials) as caught:
            Credentials.from_env(env)
        assert caught.value.message == ("no PlanetScale credentials: set "
                                        "PLANETSCALE_SERVICE_TOKEN_ID and "
                                        "PLANETSCALE_SERVICE_TOKEN, or PLANETSCALE_API_KEY")


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ("PLANETSCALE_SERVICE_TOKEN_ID", "PLANETSCALE_SERVICE_TOKEN"),
        ("PLANETSCALE_SERVICE_TOKEN", "PLANETSCALE_SERVICE_TOKEN_ID"),
    ],
)
def test_half_a_pair_names_the_missing_variable(present: str, missing: str) -> None:
    with pytest.raises(MissingCredentials) as caught:
        Credentials.from_env({present: PAIR[present]})
    assert f"{missing} is not" in str(caught.value)
    assert PAIR[present] not in str(caught.value)


def test_half_a_pair_falls_back_to_a_complete_api_key() -> None:
    credentials = Credentials.from_env({"PLANETSCALE_SERVICE_TOKEN_ID": "abc123def456", **KEY})
    assert credentials is not None
    assert credentials.authorization().startswith("Bearer ")


def test_missing_credentials_message_says_which_variables_to_set() -> None:
    assert str(MissingCredentials()) == (
        "no PlanetScale credentials: set PLANETSCALE_SERVICE_TOKEN_ID and "
        "PLANETSCALE_SERVICE_TOKEN, or PLANETSCALE_API_KEY"
    )


@pytest.mark.parametrize(
    "credentials",
    [Credentials.service_token("abc123def456", "pscale_tkn_x"), Credentials.bearer("pscale_tkn_x")],
)
def test_credentials_repr_and_str_hide_the_secret(credentials: Credentials) -> None:
    for shown in (repr(credentials), str(credentials), f"{credentials}"):
        assert "pscale_tkn_x" not in shown


def test_a_line_break_in_a_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidCredentials) as caught:
        Credentials.from_env({"PLANETSCALE_API_KEY": "pscale_tkn_x\nX-Evil: 1"})
    assert "pscale_tkn_x" not in str(caught.value)
    assert "PLANETSCALE_API_KEY" in str(caught.value)


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        (Credentials.service_token("abc123def456", "pscale_tkn_x"), "abc123def456:pscale_tkn_x"),
        (Credentials.bearer("pscale_oauth_key"), "Bearer pscale_oauth_key"),
        (None, None),
    ],
)
async def test_client_sends_the_authorization_header(
    api: respx.MockRouter, credentials: Credentials | None, expected: str | None
) -> None:
    route = api.get(f"/organizations/{ORG}/service-tokens").respond(json=envelope([]))
    async with PlanetScaleClient(BASE_URL, credentials, rate_limit=0) as client:
        await client.list_tokens(ORG)
    request: httpx.Request = route.calls.last.request
    assert request.headers.get("Authorization") == expected
