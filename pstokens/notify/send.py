"""Posting notices to the `notify:` entries: concurrent, retried, bounded, never fatal.

Each entry hears of the events it asked for, all entries at once. A 5xx (or
429), a timeout or a refused connection is tried again after a backoff; any
other answer is final. The whole of it ends by `Policy.deadline`, whatever the
receivers do. A failure is returned as a typed value naming the entry, never
its URL (a webhook URL is a secret) and never raised: a run's outcome does not
depend on whether anyone heard of it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import httpx

from pstokens import __version__
from pstokens.config.model import NotifyTarget
from pstokens.config.notify import is_web_url
from pstokens.notify.message import Notice
from pstokens.secret import Secret

SIGNATURE_HEADER = "X-Pstokens-Signature"


@dataclass(frozen=True)
class Policy:
    attempts: int = 3
    attempt_timeout: float = 2.0  # seconds, each of connect, write and read
    backoff: float = 0.5  # seconds before the 2nd attempt, doubling after
    deadline: float = 6.0  # seconds for everything, all entries together


DEFAULT_POLICY = Policy()


class Failure(StrEnum):
    UNSET = "unset"  # url_env is not set: nothing sent
    NOT_HTTP = "not_http"  # url_env does not hold an http(s) URL: nothing sent
    NO_SIGNING_KEY = "no_signing_key"  # secret_env is not set: nothing sent (it would go unsigned)
    REFUSED = "refused"  # answered with a status that is not retried (4xx, 3xx)
    SERVER_ERROR = "server_error"  # answered 5xx or 429 on every attempt
    TIMED_OUT = "timed_out"  # no answer in time, on the last attempt or by the deadline
    UNREACHABLE = "unreachable"  # no connection on the last attempt


@dataclass(frozen=True)
class Undelivered:
    number: int  # the entry's place in `notify:`, from 1
    target: NotifyTarget
    notice: Notice
    failure: Failure
    status: int | None = None  # the last HTTP status, when there was one


@dataclass(frozen=True)
class _Request:
    url: Secret
    body: bytes
    headers: dict[str, str]


async def send(
    targets: Sequence[NotifyTarget],
    notices: Sequence[Notice],
    env: Mapping[str, str],
    policy: Policy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Undelivered]:
    """Post each notice to each entry that asked for its event; what did not arrive."""
    policy = policy or DEFAULT_POLICY
    failed: list[Undelivered] = []
    jobs: list[tuple[Undelivered, _Request]] = []
    for number, target in enumerate(targets, start=1):
        for notice in notices:
            if notice.event not in target.events:
                continue
            request, problem = _request(target, notice, env)
            item = Undelivered(number, target, notice, problem or Failure.TIMED_OUT)
            if request is None:
                failed.append(item)
            else:
                jobs.append((item, request))
    if not jobs:
        return failed
    timeout = httpx.Timeout(policy.attempt_timeout)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                 transport=transport) as client:
        tasks = [asyncio.create_task(_post(client, request, policy)) for _, request in jobs]
        done, late = await asyncio.wait(tasks, timeout=policy.deadline)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    for (item, _), task in zip(jobs, tasks, strict=True):
        if task in done:
            failure, status = task.result()
            if failure is not None:
                failed.append(Undelivered(item.number, item.target, item.notice, failure, status))
        else:
            failed.append(item)  # cut off by the deadline: timed out
    return sorted(failed, key=lambda f: (f.number, f.notice.event))


def _request(
    target: NotifyTarget, notice: Notice, env: Mapping[str, str]
) -> tuple[_Request | None, Failure | None]:
    url = env.get(target.url_env, "").strip()
    if not url:
        return None, Failure.UNSET
    if not is_web_url(url):
        return None, Failure.NOT_HTTP
    body = notice.body(target.format)
    headers = {"Content-Type": "application/json", "User-Agent": f"pstokens/{__version__}",
               "X-Pstokens-Event": str(notice.event)}
    if target.secret_env is not None:
        key = env.get(target.secret_env)
        if not key:
            return None, Failure.NO_SIGNING_KEY
        digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = f"sha256={digest}"
    return _Request(Secret(url), body, headers), None


async def _post(
    client: httpx.AsyncClient, request: _Request, policy: Policy
) -> tuple[Failure | None, int | None]:
    failure, status = Failure.TIMED_OUT, None
    for attempt in range(1, policy.attempts + 1):
        if attempt > 1:
            await asyncio.sleep(policy.backoff * 2 ** (attempt - 2))
        try:
            answer = await client.post(request.url.reveal(), content=request.body,
                                       headers=request.headers)
        except httpx.TimeoutException:
            failure, status = Failure.TIMED_OUT, None
            continue
        except (httpx.HTTPError, httpx.InvalidURL):  # connection refused, reset, bad host...
            failure, status = Failure.UNREACHABLE, None
            continue
        status = answer.status_code
        if answer.is_success:
            return None, status
        if status < 500 and status != 429:
            return Failure.REFUSED, status
        failure = Failure.SERVER_ERROR
    return failure, status
