"""The PlanetScale service-token API as typed async calls.

Knows the calls and the models; where each call goes is `paths`, how a list
is paged is `paging`, and everything about sending (auth, pacing, retries,
error mapping) is the session's. Callers never see an httpx type, only
models, the API's JSON where they asked for it, and `pstokens.api.errors`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from pstokens.api.answers import read_model, read_object, unique_by_id
from pstokens.api.auditlog import read_back
from pstokens.api.auth import Credentials
from pstokens.api.errors import ApiError
from pstokens.api.listing import ListedToken, read_token_page
from pstokens.api.models import (
    PLAINTEXT,
    PLAINTEXT_REFRESH,
    AuditEvent,
    CreatedToken,
    Page,
    ServiceToken,
    TokenAccess,
)
from pstokens.api.paging import MAX_PER_PAGE, Pager, list_envelope
from pstokens.api.paths import (
    access_body,
    access_path,
    grants_path,
    operation_path,
    token_path,
    tokens_path,
)
from pstokens.api.retry import RetryPolicy
from pstokens.api.session import HttpSession
from pstokens.api.stats import ClientStats
from pstokens.clock import Clock, SystemClock
from pstokens.defaults import DEFAULT_API_URL
from pstokens.errors import UsageError
from pstokens.secret import Secret

LOST_CREATE = "the token may or may not have been created"


class PlanetScaleClient:
    """One organization-agnostic client; share it across all calls of a run.

    All calls share one pacer (`rate_limit` requests a minute, 0 for none) and
    at most `parallelism` requests in flight. Use it as an async context
    manager, or call `aclose`.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        credentials: Credentials | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit: int = 600,
        parallelism: int = 10,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        per_page: int = MAX_PER_PAGE,
        timeout: float = 30.0,
    ) -> None:
        if not isinstance(base_url, str):
            raise UsageError(f"PlanetScaleClient base_url must be the API's URL, not "
                             f"{type(base_url).__name__}",
                             hint=f"give a URL such as {DEFAULT_API_URL}")
        if credentials is not None and not isinstance(credentials, Credentials):
            raise UsageError(f"PlanetScaleClient credentials must be Credentials, not "
                             f"{type(credentials).__name__}",
                             hint="give Credentials.from_env(os.environ), "
                             "Credentials.bearer(key) or Credentials.service_token(id, "
                             "secret)")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        self._session = HttpSession(
            base_url,
            credentials,
            transport=transport,
            rate_limit=rate_limit,
            parallelism=parallelism,
            retry=retry or RetryPolicy(),
            clock=clock or SystemClock(),
            timeout=timeout,
        )
        self._pager = Pager(self._session, per_page)

    @property
    def stats(self) -> ClientStats:
        return self._session.stats

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    # Tokens

    async def list_tokens(self, org: str, *, expected: int = 0) -> list[ListedToken]:
        """Every token of `org`, all pages read, each decoded straight from its bytes.

        `expected` is how many tokens the caller knows exist (those in state):
        the pages they fill are asked for together, saving a round trip.
        """
        return unique_by_id(
            await self._pager.read_all(tokens_path(org), _list_tokens(org), read_token_page,
                                       expected)
        )

    async def list_tokens_json(
        self, org: str, *, page: int | None = None, per_page: int | None = None
    ) -> dict[str, Any]:
        """The tokens in the API's list envelope, as sent: every page read into
        one envelope (repeats dropped), or with `page` or `per_page` that one page."""
        return await self._list_json(tokens_path(org), _list_tokens(org), page, per_page)

    async def get_token(self, org: str, token_id: str) -> ServiceToken:
        operation, item = await self._get_token(org, token_id)
        return read_model(operation, ServiceToken, item)

    async def get_token_json(self, org: str, token_id: str) -> dict[str, Any]:
        """The token as the API sent it (never with its secret), once checked to be one."""
        operation, item = await self._get_token(org, token_id)
        read_model(operation, ServiceToken, item)
        return item

    async def create_token(
        self, org: str, name: str | None = None, ttl: int | None = None
    ) -> CreatedToken:
        """Create a token; its secret (and any refresh token) come back once, as `Secret`s,
        and the API's whole answer with them (`CreatedToken.reveal_answer`).

        Resent only when the request provably never reached PlanetScale; any
        other lost answer raises `OutcomeUnknown` (the caller reconciles by name).
        """
        operation = f'create service token "{name or ""}" in "{org}"'
        payload: dict[str, Any] = {}
        if name is not None:
            payload["name"] = name
        if ttl is not None:
            payload["ttl"] = ttl
        status, body = await self._session.request(
            "POST",
            tokens_path(org),
            operation=operation,
            json=payload,
            idempotent=False,
            effect=LOST_CREATE,
        )
        item = read_object(operation, body)
        secret = item.get(PLAINTEXT)
        refresh = item.get(PLAINTEXT_REFRESH)
        token = read_model(operation, ServiceToken, item)
        if not isinstance(secret, str) or not secret:
            raise ApiError(
                f'{operation}: token "{token.id}" was created but the answer carries no secret',
                status=status,
                hint=f'delete token "{token.id}" and run apply again',
            )
        # Kept as sent but for the secrets, which travel only as `Secret`s.
        hidden = (PLAINTEXT, PLAINTEXT_REFRESH)
        return CreatedToken(
            token=token,
            secret=Secret(secret),
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
            answer={name: None if name in hidden else value for name, value in item.items()},
        )

    async def delete_token(self, org: str, token_id: str) -> None:
        operation = f'delete service token "{token_id}" in "{org}"'
        # Deleting twice leaves the same result (the second answers 404, which the caller sees).
        await self._session.request(
            "DELETE", token_path(org, token_id), operation=operation, idempotent=True
        )

    async def verify_credentials(self, token_id: str, secret: Secret) -> None:
        """Call the API once as token `token_id` (`GET /organizations`, which needs
        no access). Returns if PlanetScale accepts its credentials; else raises the
        mapped `ApiError` (401 for credentials it refuses)."""
        await self.get_as(token_id, secret, "/v1/organizations", organization="")

    async def get_as(self, token_id: str, secret: Secret, template: str, *,
                     organization: str, database: str | None = None) -> None:
        """GET the operations table's path `template` (`/v1/...`, its `{organization}`
        and `{database}` filled in) once as token `token_id`. Returns on a 2xx; else
        raises the mapped `ApiError` (401 refused credentials, 403 no access)."""
        path = operation_path(template, organization, database)
        # One call as the new token, through this client's connections, slots and pacing.
        await self._session.request(
            "GET", path, idempotent=True,
            operation=f'verify new service token "{token_id}" with GET {path}',
            credentials=Credentials.service_token(token_id, secret.reveal()),
        )

    # The audit log

    async def list_audit_log(
        self, org: str, *, since: datetime, actions: Collection[str] = ()
    ) -> list[AuditEvent]:
        """The organization's audit events from `since` on, newest first (`actions`:
        only those). Needs `read_audit_logs`: without it, `Forbidden`."""
        return await read_back(self._session, org, since, actions)

    # Accesses

    async def list_accesses(self, org: str, token_id: str) -> list[TokenAccess]:
        """The token's accesses, from `GET .../access`, all pages read."""
        path, operation = access_path(org, token_id), _list_accesses(org, token_id)
        return unique_by_id(await self._pager.read_all(path, operation, Page[TokenAccess]))

    async def list_accesses_json(
        self, org: str, token_id: str, *, page: int | None = None, per_page: int | None = None
    ) -> dict[str, Any]:
        """The token's accesses in the API's list envelope, as sent: every page
        read into one envelope (repeats dropped), or with `page` or `per_page` that one page."""
        path, operation = access_path(org, token_id), _list_accesses(org, token_id)
        return await self._list_json(path, operation, page, per_page)

    async def accesses_of(self, org: str, token: ServiceToken) -> list[TokenAccess]:
        """The accesses embedded in `token` when the API sent them, else a fresh read."""
        if token.accesses is not None:
            return list(token.accesses)
        return await self.list_accesses(org, token.id)

    async def grant_accesses(
        self,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None = None,
    ) -> list[TokenAccess]:
        """Grant several accesses on one database (or the organization) in one call."""
        operation, body = await self._change("POST", org, token_id, accesses, database)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return []
        return read_model(operation, Page[TokenAccess], body).data

    async def grant_accesses_json(
        self,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None = None,
    ) -> dict[str, Any] | None:
        """`grant_accesses`, answered with the API's JSON as sent (all the token's
        accesses, in a list envelope), or None when it sent no body."""
        return _object_or_none(await self._change("POST", org, token_id, accesses, database))

    async def revoke_accesses(
        self,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None = None,
    ) -> None:
        """Revoke several accesses on one database (or the organization) in one call."""
        await self._change("DELETE", org, token_id, accesses, database)

    async def revoke_accesses_json(
        self,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None = None,
    ) -> dict[str, Any] | None:
        """`revoke_accesses`, answered with the API's JSON as sent (the accesses
        left, in a list envelope), or None when it sent no body."""
        return _object_or_none(await self._change("DELETE", org, token_id, accesses, database))

    async def list_grants(self, org: str, token_id: str) -> list[dict[str, Any]]:
        """The token's accesses grouped by resource, as the API sends them."""
        operation = f'list grants of service token "{token_id}" in "{org}"'
        # The grants' shape is not published: each item is kept as the JSON object it is.
        path = grants_path(org, token_id)
        return await self._pager.read_all(path, operation, Page[dict[str, Any]])

    # One place per call, whatever shape the caller wants the answer in

    async def _get_token(self, org: str, token_id: str) -> tuple[str, dict[str, Any]]:
        operation = f'get service token "{token_id}" in "{org}"'
        _, body = await self._session.request(
            "GET", token_path(org, token_id), operation=operation, idempotent=True
        )
        return operation, read_object(operation, body)

    async def _change(
        self,
        method: str,
        org: str,
        token_id: str,
        accesses: Sequence[str],
        database: str | None,
    ) -> tuple[str, Any]:
        """A grant (POST) or revoke (DELETE) of `accesses`; (its operation, the answer)."""
        body = access_body(accesses, database)
        where = f'database "{database}"' if database else "the organization"
        names = ", ".join(body["access"])
        operation = (
            f'grant {names} on {where} to service token "{token_id}" in "{org}"'
            if method == "POST"
            else f'revoke {names} on {where} from service token "{token_id}" in "{org}"'
        )
        _, answer = await self._session.request(
            method,
            access_path(org, token_id),
            operation=operation,
            json=body,
            idempotent=True,  # a grant only adds what is missing; a revoke only removes
        )
        return operation, answer

    async def _list_json(
        self, path: str, operation: str, page: int | None, per_page: int | None
    ) -> dict[str, Any]:
        if page is None and per_page is None:
            items = await self._pager.read_all(path, operation, Page[dict[str, Any]])
            return list_envelope(unique_by_id(items))
        return await self._pager.read_one(path, operation, page, per_page)


def _list_tokens(org: str) -> str:
    return f'list service tokens in "{org}"'


def _list_accesses(org: str, token_id: str) -> str:
    return f'list accesses of service token "{token_id}" in "{org}"'


def _object_or_none(answered: tuple[str, Any]) -> dict[str, Any] | None:
    operation, body = answered
    return None if body is None else read_object(operation, body)
