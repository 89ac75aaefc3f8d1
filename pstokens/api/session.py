"""The one place pstokens speaks HTTP: auth, pacing, parallelism, retries, logging.

Every httpx exception is caught here and becomes a pstokens error, raised
outside the `except` block so that no httpx object (whose request holds the
Authorization header) rides along as the error's cause or context.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx

from pstokens import __version__
from pstokens.api.auth import Credentials
from pstokens.api.errors import ApiError, ConnectionFailed, OutcomeUnknown
from pstokens.api.pacer import Pacer, burst_for
from pstokens.api.retry import Fault, RetryPolicy, Verdict, classify, parse_retry_after
from pstokens.api.stats import ClientStats
from pstokens.api.status import check_response
from pstokens.clock import Clock
from pstokens.errors import UsageError

logger = logging.getLogger("pstokens.api")

_MAX_TEXT_BODY = 500

# Raised before a byte of the request left: resending is safe even for a create.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
# Raised once the request may have reached the server, or while reading its answer.
_LOST: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any  # parsed JSON (or bytes, when asked raw), a non-JSON error body's text, or None
    is_json: bool
    retry_after: float | None


@dataclass(frozen=True)
class _Failure:
    fault: Fault
    description: str  # exception type and message, credentials redacted


class HttpSession:
    """Sends requests for one client; shares its pacer and its slots among all calls."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None,
        *,
        transport: httpx.AsyncBaseTransport | None,
        rate_limit: int,
        parallelism: int,
        retry: RetryPolicy,
        clock: Clock,
        timeout: float,
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        if rate_limit < 0:
            raise ValueError("rate_limit must be 0 (no pacing) or more")
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(
                f"invalid API URL {base_url!r}: it must start with https:// (or http://)",
                hint="check --api-url or PLANETSCALE_API_URL",
            )
        headers = {"Accept": "application/json", "User-Agent": f"pstokens/{__version__}"}
        if credentials is not None:
            headers["Authorization"] = credentials.authorization()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism),
            follow_redirects=False,
        )
        self._credentials = credentials
        self._slots = asyncio.Semaphore(parallelism)
        burst = burst_for(rate_limit, parallelism)
        self._pacer = Pacer(rate_limit, clock, burst=burst) if rate_limit else None
        self._retry = retry
        self._clock = clock
        self.stats = ClientStats()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        effect: str = "the request may or may not have taken effect",
        raw: bool = False,
        credentials: Credentials | None = None,
    ) -> tuple[int, Any]:
        """Send until a 2xx, a permanent error, or the retries run out.

        The 2xx body comes back parsed from JSON, or with `raw` as the bytes
        received, for a caller that validates them itself in one pass.

        `operation` names the call in error messages. Every caller says
        whether its request is `idempotent` (nothing here guesses from the
        method or the path): one that is not is resent only when it provably
        never reached the server; otherwise it raises `OutcomeUnknown`,
        whose message ends with `effect`.

        `credentials` sends this one call as someone else (a new token verifying
        itself), through the same connections, slots and pacing; an error body
        that echoes them is masked as it is for the session's own.
        """
        previous_delay: float | None = None
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(method, path, params, json, attempt, raw, credentials)
            if isinstance(outcome, _Answer):
                if 200 <= outcome.status < 300:
                    return outcome.status, self._success_body(operation, outcome)
                verdict = classify(status=outcome.status, idempotent=idempotent)
            else:
                verdict = classify(fault=outcome.fault, idempotent=idempotent)
            if verdict is Verdict.UNKNOWN:
                self._raise_unknown(operation, outcome, effect, credentials)
            if verdict is Verdict.FAIL or attempt >= self._retry.max_attempts:
                self._raise_final(operation, outcome, attempt, credentials)
            retry_after = outcome.retry_after if isinstance(outcome, _Answer) else None
            delay = self._retry.delay(attempt, previous=previous_delay, retry_after=retry_after)
            if isinstance(outcome, _Answer) and outcome.status == 429 and self._pacer:
                self._pacer.pause(delay)
            self.stats.retries += 1
            self.stats.backoff_seconds += delay
            logger.debug("%s %s: retrying in %.3fs", method, path, delay)
            await self._clock.sleep(delay)
            previous_delay = delay

    async def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        attempt: int,
        raw: bool,
        credentials: Credentials | None = None,
    ) -> _Answer | _Failure:
        async with self._slots:
            if self._pacer is not None:
                self.stats.paced_seconds += await self._pacer.acquire()
            started = self._clock.monotonic()
            self.stats.requests += 1
            failure: _Failure | None = None
            try:
                headers = ({"Authorization": credentials.authorization()}
                           if credentials is not None else None)
                response = await self._http.request(method, path, params=params, json=json,
                                                    headers=headers)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                failure = self._failure_of(exc)
            elapsed = self._clock.monotonic() - started
        if failure is not None:
            self.stats.transport_errors += 1
            logger.debug(
                "%s %s -> %s (attempt %d, %.3fs)",
                method,
                path,
                failure.description,
                attempt,
                elapsed,
            )
            return failure
        self.stats.responses[response.status_code] += 1
        if response.status_code == 429:
            self.stats.rate_limited += 1
        logger.debug(
            "%s %s -> %d (attempt %d, %.3fs)", method, path, response.status_code, attempt, elapsed
        )
        return self._answer_of(response, raw)

    def _failure_of(self, exc: Exception) -> _Failure:
        if isinstance(exc, _NOT_SENT):
            fault = Fault.NOT_SENT
        elif isinstance(exc, _LOST):
            fault = Fault.LOST
        else:
            fault = Fault.FATAL
        text = str(exc).strip()
        description = type(exc).__name__ + (f": {text}" if text else "")
        return _Failure(fault, self._redact(description))

    def _answer_of(self, response: httpx.Response, raw: bool) -> _Answer:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock.time())
        content = response.content
        if raw and response.is_success:
            return _Answer(response.status_code, content, True, retry_after)
        if not content.strip():
            return _Answer(response.status_code, None, True, retry_after)
        try:
            return _Answer(response.status_code, response.json(), True, retry_after)
        except ValueError:
            text = response.text[:_MAX_TEXT_BODY]
            return _Answer(response.status_code, text, False, retry_after)

    def _success_body(self, operation: str, answer: _Answer) -> Any:
        if answer.is_json:
            return answer.body
        # Never quote it: a create's body holds the new token's secret.
        raise ApiError(
            f"{operation}: the API answered {answer.status} with a body that is not JSON",
            status=answer.status,
            hint="check --api-url points at the PlanetScale API",
        )

    def _raise_unknown(self, operation: str, outcome: _Answer | _Failure, effect: str,
                       credentials: Credentials | None = None) -> NoReturn:
        if isinstance(outcome, _Answer):
            body = self._redact_body(outcome.body, credentials)
            what = f"the API answered {outcome.status}"
            raise OutcomeUnknown(
                f"{operation}: {what}, so {effect}",
                status=outcome.status,
                code=body.get("code") if isinstance(body, dict) else None,
                body=body,
                hint="the next run looks for it by name and reconciles",
            )
        raise OutcomeUnknown(
            f"{operation}: the connection failed after the request was sent "
            f"({outcome.description}), so {effect}",
            hint="the next run looks for it by name and reconciles",
        )

    def _raise_final(self, operation: str, outcome: _Answer | _Failure, attempts: int,
                     credentials: Credentials | None = None) -> NoReturn:
        if isinstance(outcome, _Answer):
            body = self._redact_body(outcome.body, credentials)
            check_response(operation, outcome.status, body, attempts=attempts)
            raise ApiError(f"{operation}: gave up on status {outcome.status}")  # not reached
        if outcome.fault is Fault.FATAL:
            raise ApiError(
                f"{operation}: the request could not be sent ({outcome.description})",
                hint="check --api-url",
            )
        after = f" after {attempts} attempts" if attempts > 1 else ""
        raise ConnectionFailed(
            f"{operation}: network failure{after} ({outcome.description})",
            hint="check the network and --api-url",
        )

    def _redact(self, text: str, also: Credentials | None = None) -> str:
        for credentials in (self._credentials, also):
            if credentials is not None:
                text = credentials.redact(text)
        return text

    def _redact_body(self, body: Any, also: Credentials | None = None) -> Any:
        """An error body with any echo of the credentials masked (a proxy may echo headers)."""
        if isinstance(body, str):
            return self._redact(body, also)
        if isinstance(body, dict):
            return {self._redact(str(k), also): self._redact_body(v, also)
                    for k, v in body.items()}
        if isinstance(body, list):
            return [self._redact_body(item, also) for item in body]
        return body
