from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from pstokens.api import (
    ApiError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PermanentApiError,
    PermanentServerError,
    PlanetScaleClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    TransientApiError,
    Unauthorized,
    UnexpectedStatus,
)
from pstokens.api.retry import Verdict, classify
from pstokens.api.status import check_response

from .helpers import AUTH_ID, AUTH_SECRET, ORG

TOKEN = f"/organizations/{ORG}/service-tokens/abc123def456"
OPERATION = 'delete service token "abc123def456" in "acme"'


@pytest.mark.parametrize(
    ("status", "code", "error", "family"),
    [
        (400, "bad_request", InvalidRequest, PermanentApiError),
        (401, "unauthorized", Unauthorized, PermanentApiError),
        (403, "forbidden", Forbidden, PermanentApiError),
        (404, "not_found", NotFound, PermanentApiError),
        (422, "unprocessable", InvalidRequest, PermanentApiError),
        (429, "rate_limited", RateLimited, TransientApiError),
        (500, "internal_error", ServerError, TransientApiError),
        (503, "unavailable", ServerError, TransientApiError),
        (501, "not_implemented", PermanentServerError, PermanentApiError),
        (409, "conflict", UnexpectedStatus, PermanentApiError),
    ],
)
async def test_statuses_map_to_errors_naming_the_operation_and_keeping_the_body(
    api: respx.MockRouter,
    make_client: Callable[..., PlanetScaleClient],
    status: int,
    code: str,
    error: type[ApiError],
    family: type[ApiError],
) -> None:
    body = {"code": code, "message": f"the {code} message"}
    api.delete(TOKEN).respond(status, json=body)
    client = make_client(retry=RetryPolicy(max_attempts=1))
    with pytest.raises(error) as caught:
        await client.delete_token(ORG, "abc123def456")
    err = caught.value
    assert type(err) is error
    assert isinstance(err, family)
    assert err.status == status
    assert err.code == code
    assert err.body == body
    assert str(err).startswith(f"{OPERATION}: ")
    assert f"the {code} message" in str(err)


async def test_404_says_it_may_be_missing_or_invisible(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.delete(TOKEN).respond(404, json={"code": "not_found", "message": "Not Found"})
    with pytest.raises(NotFound) as caught:
        await client.delete_token(ORG, "abc123def456")
    assert str(caught.value) == (
        f"{OPERATION}: not found, or these credentials lack the access to see it "
        "(PlanetScale answers 404 for both) (API said not_found: Not Found)"
    )


def test_an_unexpected_status_is_a_permanent_error() -> None:
    with pytest.raises(UnexpectedStatus) as caught:
        check_response("get x", 302, None)
    assert isinstance(caught.value, PermanentApiError)
    assert "unexpected HTTP status 302" in str(caught.value)


@pytest.mark.parametrize("status", [*range(300, 309), *range(400, 452), *range(500, 512)])
def test_the_error_type_follows_the_retry_verdict(status: int) -> None:
    """Transient exactly where an idempotent request is resent, permanent where it is not."""
    with pytest.raises(ApiError) as caught:
        check_response("get x", status, None)
    retried = classify(status=status, idempotent=True) is Verdict.RETRY
    assert isinstance(caught.value, TransientApiError) is retried
    assert isinstance(caught.value, PermanentApiError) is not retried


async def test_a_501_is_sent_once_and_said_to_be_permanent(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.delete(TOKEN).respond(501, json={"code": "not_implemented", "message": "no"})
    with pytest.raises(PermanentServerError) as caught:
        await client.delete_token(ORG, "abc123def456")
    assert route.call_count == 1
    assert "not retried" in str(caught.value)


async def test_a_create_answered_501_is_refused_not_reconciled(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    route = api.post(f"/organizations/{ORG}/service-tokens").respond(
        501, json={"code": "not_implemented", "message": "no"})
    with pytest.raises(PermanentServerError):
        await client.create_token(ORG, name="ci")
    assert route.call_count == 1


def test_a_success_status_raises_nothing() -> None:
    for status in (200, 204):
        check_response("get x", status, None)


async def test_a_non_json_error_body_is_kept_as_text(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.delete(TOKEN).respond(403, text="<html>denied</html>")
    with pytest.raises(Forbidden) as caught:
        await client.delete_token(ORG, "abc123def456")
    assert caught.value.body == "<html>denied</html>"
    assert caught.value.code is None


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(401, json={"code": "unauthorized", "message": "Unauthorized"}),
        httpx.Response(500),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.UnsupportedProtocol("no"),
    ],
)
async def test_no_httpx_error_or_header_escapes_the_client(
    api: respx.MockRouter,
    make_client: Callable[..., PlanetScaleClient],
    failure: httpx.Response | Exception | type[Exception],
) -> None:
    api.delete(TOKEN).mock(side_effect=[failure] * 3)
    client = make_client(retry=RetryPolicy(max_attempts=3, jitter="none"))
    with pytest.raises(ApiError) as caught:
        await client.delete_token(ORG, "abc123def456")
    err: BaseException | None = caught.value
    assert type(caught.value).__module__ == "pstokens.api.errors"
    while err is not None:  # nothing httpx anywhere in the chain
        assert not type(err).__module__.startswith(("httpx", "httpcore"))
        err = err.__cause__ or err.__context__
    for shown in (str(caught.value), repr(caught.value), str(caught.value.hint)):
        assert AUTH_SECRET not in shown
        assert AUTH_ID not in shown
        assert "Authorization" not in shown


async def test_error_repr_shows_status_code_and_message_only(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    api.delete(TOKEN).respond(403, json={"code": "forbidden", "message": "Forbidden"})
    with pytest.raises(Forbidden) as caught:
        await client.delete_token(ORG, "abc123def456")
    assert repr(caught.value).startswith("Forbidden(status=403, code='forbidden', message=")


async def test_an_error_body_echoing_the_credentials_is_redacted(
    api: respx.MockRouter, client: PlanetScaleClient
) -> None:
    echoed = {
        "code": "bad_request",
        "message": f"bad header Authorization: {AUTH_ID}:{AUTH_SECRET}",
        "headers": {"Authorization": f"{AUTH_ID}:{AUTH_SECRET}"},
    }
    api.delete(TOKEN).respond(400, json=echoed)
    with pytest.raises(InvalidRequest) as caught:
        await client.delete_token(ORG, "abc123def456")
    assert AUTH_SECRET not in str(caught.value)
    assert AUTH_SECRET not in repr(caught.value.body)


def test_a_bad_api_url_is_refused_up_front() -> None:
    from pstokens.errors import PstokensError

    with pytest.raises(PstokensError, match="invalid API URL"):
        PlanetScaleClient("ftp://api.test/v1")
