"""Verifying a new token before its secret goes anywhere: one call as the new token.

The call is the plan's (`Change.verify`, chosen by `verifyplan`): a GET its
grants allow, or `GET /v1/organizations`. PlanetScale may take a moment to
honour a fresh grant or token, so a 401 or 403 is asked again, with growing
pauses, for up to PATIENCE seconds; any other refusal, or one that lasts,
makes the token unverified. The clock and the pause are injectable, so
tests never wait in real time. What becomes of an unverified token (deleted
in the same apply, the token it replaces untouched) is the caller's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pstokens.api.errors import ApiError, Forbidden, Unauthorized
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.verifyplan import Verification, path_template
from pstokens.errors import PstokensError
from pstokens.secret import Secret

PATIENCE = 30.0  # seconds a 401 or 403 is asked again
FIRST_PAUSE = 0.25
LONGEST_PAUSE = 4.0
MOST_ATTEMPTS = 50  # a guard should a clock not move: 30 s of pauses is about 12


class UnverifiedToken(PstokensError):
    """A new token that did not pass its verification call."""


@dataclass(frozen=True)
class Patience:
    """How long, and with which clock and pause, a refused verification is retried."""

    seconds: float = field(default_factory=lambda: PATIENCE)  # read when made: tests set it
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)


async def verify_token(
    client: TokenApi, organization: str, token_id: str, secret: Secret,
    check: Verification | None, patience: Patience | None = None,
) -> None:
    """Return once the call `check` (None: `GET /v1/organizations`) made as the new
    token succeeds; raise `UnverifiedToken` naming the token when it does not."""
    check = check or Verification()
    patience = patience or Patience()
    try:
        template = path_template(check)
    except KeyError:
        raise UnverifiedToken(
            f"new token {token_id} could not be verified: the operations table has no "
            f"{check.operation}", hint="plan again with this pstokens") from None
    started = patience.clock()
    pause = FIRST_PAUSE
    for _attempt in range(MOST_ATTEMPTS):
        try:
            await client.get_as(token_id, secret, template, organization=organization,
                                database=check.database)
            return
        except (Unauthorized, Forbidden) as exc:
            waited = patience.clock() - started
            if waited + pause > patience.seconds:
                raise _unverified(token_id, check, exc, waited) from None
        except ApiError as exc:
            raise _unverified(token_id, check, exc, None) from None
        await patience.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)
    raise UnverifiedToken(f"new token {token_id} failed verification: refused "
                          f"{MOST_ATTEMPTS} times")


def _unverified(token_id: str, check: Verification, exc: ApiError,
                waited: float | None) -> UnverifiedToken:
    how = ("GET /v1/organizations" if check.fallback
           else check.operation + ("" if check.database is None else f" on {check.database}"))
    after = "" if waited is None else f", still after {waited:.0f} s"
    return UnverifiedToken(f"new token {token_id} failed verification by {how} "
                           f"({exc.message}{after})")
