"""Leases: a token made for one command, holding one key's accesses, gone when it ends.

`open` writes an intent to state (name, key, latest expiry) before the
create, so a lease whose create answer or ID write was lost is still found
by its unique name; then it creates the token with its ttl, records its ID,
grants the key's accesses (one call per scope) and verifies it as apply
verifies a new token (`verify`: a GET its grants allow). Any failure
on the way deletes what was made. `close` deletes the token, then forgets
it. A lease a killed run leaves behind dies at its ttl, and plans and
`lease sweep` delete it (see `leaseplan.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from pstokens import clock
from pstokens.api.errors import NotFound, OutcomeUnknown
from pstokens.api.models import CreatedToken
from pstokens.config.duration import format_duration
from pstokens.config.model import Config, TokenSpec
from pstokens.engine.applying.verify import Patience, verify_token
from pstokens.engine.planning.leaseplan import (
    RECORDED_ONLY,
    LeaseRule,
    find_leases,
    forget_lease,
    longest_lease_ttl,
    settled,
)
from pstokens.engine.reading.observe import live_token
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.leaseview import LEASE_MARK, LeaseView
from pstokens.engine.rules.live import CLOCK_SKEW
from pstokens.engine.rules.verifyplan import Chooser
from pstokens.errors import PstokensError, UsageError
from pstokens.secret import Secret
from pstokens.state.model import LeaseRecord, State

DEFAULT_TTL = 15 * 60
MIN_TTL = 60
CREATE_ATTEMPTS = 3
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


class LeaseError(PstokensError):
    """The lease could not be made; whatever was made is deleted."""


class Book(Protocol):
    """What a lease needs of state (`leasebook.LeaseBook`, or a test's fake)."""

    def read(self) -> State: ...

    async def edit(self, change: Callable[[State], State]) -> State: ...


def lease_name(key: str) -> str:
    """`KEY+lease-XXXXXXXX`: 8 random lowercase letters or digits."""
    return key + LEASE_MARK + "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(8))


def lease_spec(config: Config, key: str, ttl: int | None) -> tuple[TokenSpec, int]:
    """KEY's spec and the lease's ttl in seconds, or a one-line error: before any call."""
    spec = config.tokens.get(key)
    if spec is None:
        known = ", ".join(sorted(config.tokens)) or "none"
        raise UsageError(f"{key!r} is not a key of {config.path}",
                         hint=f"keys in the config: {known}")
    seconds = DEFAULT_TTL if ttl is None else ttl
    most = longest_lease_ttl(config)
    if seconds < MIN_TTL:
        raise UsageError(f"--ttl {format_duration(seconds)} is too short: at least 1m",
                         hint="pass --ttl 1m or longer, e.g. --ttl 15m")
    if most is not None and seconds > most:
        raise UsageError(
            f"--ttl {format_duration(seconds)} is longer than rules.max_ttl "
            f"({format_duration(most)})", hint="pass a shorter --ttl")
    return spec, seconds


@dataclass(frozen=True)
class Lease:
    name: str
    key: str
    token_id: str
    secret: Secret
    expires_at: datetime


class LeaseMaker:
    def __init__(self, client: TokenApi, book: Book, organization: str,
                 now: Callable[[], datetime] = lambda: clock.now(),
                 patience: Patience | None = None) -> None:
        self._client = client
        self._book = book
        self._org = organization
        self._now = now
        self._patience = patience

    async def open(self, spec: TokenSpec, ttl: int) -> Lease:
        name = lease_name(spec.key)
        started = self._now()
        latest = started + timedelta(seconds=ttl) + CLOCK_SKEW
        intent = LeaseRecord(spec.key, latest, pending_since=started)
        await self._book.edit(lambda s: s.with_lease(name, intent))
        token_id: str | None = None
        try:
            created = await self._create(name, ttl)
            token = created.token
            token_id = token.id
            recorded = LeaseRecord(spec.key, token.expires_at or latest, id=token.id)
            await self._book.edit(lambda s: s.with_lease(name, recorded))
            await asyncio.gather(*(
                self._client.grant_accesses(self._org, token.id, sorted(names), database)
                for database, names in spec.accesses.items() if names
            ))
            await verify_token(self._client, self._org, token.id, created.secret,
                               Chooser()(spec.accesses), self._patience)
        except BaseException as exc:
            await self._undo(name, token_id)
            if isinstance(exc, PstokensError):
                raise LeaseError(f"could not make lease {name}: {exc.message}",
                                 hint="nothing was run; what was made is deleted") from None
            raise
        return Lease(name, spec.key, token.id, created.secret, token.expires_at or latest)

    async def _create(self, name: str, ttl: int) -> CreatedToken:
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return await self._client.create_token(self._org, name=name, ttl=ttl)
            except OutcomeUnknown:
                if attempt == CREATE_ATTEMPTS:
                    raise
                await self._delete_named(name)  # what the lost create made, if anything
        raise AssertionError("unreachable")

    async def _delete_named(self, name: str) -> None:
        for token in await self._client.list_tokens(self._org):
            if token.name == name:
                await self._delete(token.id)

    async def _undo(self, name: str, token_id: str | None) -> None:
        """Delete what `open` made and forget it; on failure it stays in state
        (with its expiry) for a plan or `lease sweep` to find."""
        with contextlib.suppress(PstokensError, OSError):
            if token_id is not None:
                await self._delete(token_id)
            else:
                await self._delete_named(name)
            await self._book.edit(lambda s: s.with_lease(name, None))

    async def close(self, lease: Lease) -> None:
        """Delete the lease's token, then forget it. Raises if the delete fails:
        state keeps the lease (it dies at its ttl; a plan or sweep deletes it)."""
        await self._delete(lease.token_id)
        await self._book.edit(lambda s: forget_lease(s, lease.token_id, lease.name))

    async def _delete(self, token_id: str) -> None:
        with contextlib.suppress(NotFound):  # already gone: what a delete wants
            await self._client.delete_token(self._org, token_id)


@dataclass
class SweepResult:
    deleted: list[LeaseView]
    forgotten: list[LeaseView]
    kept: list[LeaseView]


async def sweep(client: TokenApi, book: Book, organization: str, now: datetime,
                *, every: bool = False, rule: LeaseRule = RECORDED_ONLY) -> SweepResult:
    """Delete expired leases (`every`: all of them) and forget the ones that are gone.

    A token this state does not record is a lease only as `rule` says (the
    default, RECORDED_ONLY: none is). A lease recorded while the tokens were
    being listed is kept (`settled`), and an intent whose token is not live is
    forgotten only once its expiry passed: until then its `exec` may still be
    creating it.
    """
    before = book.read()
    tokens = await client.list_tokens(organization)
    live = {t.id: live_token(t, t.accesses) for t in tokens}
    result = SweepResult([], [], [])
    for view in settled(find_leases(book.read(), live, rule), before):
        if view.live and (every or view.expired(now)):
            assert view.token_id is not None
            with contextlib.suppress(NotFound):
                await client.delete_token(organization, view.token_id)
            result.deleted.append(view)
        elif view.live or (view.token_id is None and not view.expired(now)):
            result.kept.append(view)
            continue
        else:
            result.forgotten.append(view)
        if view.recorded:
            await book.edit(_forgetting(view))
    return result


async def confirm_gone(client: TokenApi, organization: str,
                       views: list[LeaseView]) -> list[LeaseView]:
    """`views` with each recorded lease the token list lacked asked for by its ID:
    a list read while other tokens come and go can miss one, so a lease is gone
    only when the API says so (404); otherwise it is live, as the API shows it."""
    confirmed = []
    for view in views:
        if not view.live and view.token_id is not None:
            try:
                token = await client.get_token(organization, view.token_id)
            except NotFound:
                confirmed.append(view)
                continue
            view = replace(view, live=True, expires_at=token.expires_at or view.expires_at)
        confirmed.append(view)
    return confirmed


def _forgetting(view: LeaseView) -> Callable[[State], State]:
    return lambda state: forget_lease(state, view.token_id, view.name)
