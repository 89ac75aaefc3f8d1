"""The steps of a new token between its grants and the retirement of the one it replaces.

PRODUCT.md "Rotation": create, grant, **verify, deliver**, retire. Once its
grants are done, each new token is verified with one call as itself (the
plan's `verify`), and only then delivered, destination by destination. A
token that cannot be made ready (a grant failed, verification failed, no
destination took it, or it has none) was never delivered: it is deleted in the same apply
and its key's state goes back to exactly what it was, so the token it
replaces stays as it was. A token some destinations took is in use there:
it is kept, so is the old one, and state records who holds which (the next
plan replaces it, cause `partly_delivered`). Whatever a sink raises while
delivering (a bug, an OSError, a value it cannot use) is that destination
failing, never a crash that leaves a live token state does not know. The
applier keeps the key out of retirement in every case but full delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from pstokens.api.errors import NotFound
from pstokens.delivery import NewSecret, SecretSink
from pstokens.delivery.scrub import printable, scrub
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.applying.verify import Patience, UnverifiedToken, verify_token
from pstokens.engine.planning.outcome import Blocked, Made, Outcome, Status
from pstokens.engine.planning.plan import Change
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.rotation import retire_times, successor_times
from pstokens.errors import PstokensError, SecretDeliveryError
from pstokens.secret import Secret
from pstokens.state.model import TokenRecord

NO_DESTINATION = "it has no destination, so nobody would hold it"


@dataclass
class NewTokens:
    """What this apply made, key by key, for the steps after the create and for
    the report of an interrupted apply. Secrets live here until delivered."""

    ids: dict[str, str] = field(default_factory=dict)  # key -> new token ID
    secrets: dict[str, Secret] = field(default_factory=dict)
    verified: set[str] = field(default_factory=set)
    reached: dict[str, list[str]] = field(default_factory=dict)  # key -> destinations
    finished: set[str] = field(default_factory=set)  # keys whose outcome is reported

    def made(self, creates: list[Change], deleted: set[str]) -> tuple[Made, ...]:
        """Each create under way or done and not deleted again, as it stands."""
        found = []
        for change in creates:
            key = change.key or ""
            token_id = self.ids.get(key)
            if token_id in deleted or (token_id is None and key in self.finished):
                continue
            found.append(Made(key, token_id, key in self.verified,
                              tuple(self.reached.get(key, ())),
                              change.token_id if change.retire is not None else None))
        return tuple(found)


class Readying:
    """Verify, then deliver, each new token; delete again those never delivered."""

    def __init__(self, client: TokenApi, writer: StateWriter, organization: str,
                 new: NewTokens, report: Callable[[Outcome], None],
                 now: Callable[[], datetime], patience: Patience | None) -> None:
        self._client = client
        self._writer = writer
        self._org = organization
        self._new = new
        self._report = report
        self._now = now
        self._patience = patience
        self.sink: SecretSink | None = None  # set by the applier from the plan
        self.before: Mapping[str, TokenRecord] = {}  # key -> its record before this apply
        self.overlaps: Mapping[str, int] = {}
        self.until_unused: set[str] = set()  # keys whose replaced token waits to go unused
        self.unready: set[str] = set()  # keys whose new token is not delivered everywhere
        self.deleted: set[str] = set()  # new token IDs deleted again

    async def ready(self, change: Change) -> None:
        key = change.key
        assert key is not None and self.sink is not None
        token_id = self._new.ids[key]
        secret = self._new.secrets.pop(key)
        if key in self.unready:  # a grant to it failed: it can never be delivered as it is
            await self._discard(change, token_id, Status.SKIPPED, blocked=Blocked.GRANT_FAILED)
            return
        try:
            await verify_token(self._client, self._org, token_id, secret, change.verify,
                               self._patience)
        except UnverifiedToken as exc:
            self.unready.add(key)
            await self._writer.update(key, _unverified(token_id), durable=True)
            await self._discard(change, token_id, Status.UNVERIFIED, error=_words(exc))
            return
        self._new.verified.add(key)
        item = NewSecret(self._org, key, token_id, secret, name=change.name)
        reached = self._new.reached.setdefault(key, [])
        try:
            await self.sink.deliver(item, reached.append)
        except asyncio.CancelledError:
            if reached:  # Ctrl-C once some took it: state must say who holds it
                await self._record_held(change, item, tuple(reached))
            raise
        except SecretDeliveryError as exc:
            await self._failed(change, item, tuple(reached), _words(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a sink's own failure: its destination failed
            await self._failed(change, item, tuple(reached), _unexpected(exc, item))
            return
        if not reached and not self.sink.destinations(item):
            # Delivered to no destination is not delivered: nobody holds the token.
            await self._failed(change, item, (), NO_DESTINATION)
            return
        held = tuple(reached)
        await self._writer.update(key, lambda r: self._delivered(key, r, held),
                                  durable=bool(self.overlaps.get(key))
                                  or key in self.until_unused)
        self._new.finished.add(key)
        self._report(Outcome(change, Status.DONE, token_id, delivered_to=held))

    async def _failed(self, change: Change, item: NewSecret, held: tuple[str, ...],
                      error: str) -> None:
        """A destination failed: nobody holds the new token (it is deleted again)
        or those in `held` do (it is kept)."""
        self.unready.add(item.key)
        if not held:
            await self._discard(change, item.token_id, Status.UNDELIVERED, error=error)
        else:
            await self._partly(change, item, held, error)

    def _delivered(self, key: str, record: TokenRecord | None,
                   held: tuple[str, ...]) -> TokenRecord | None:
        """Delivered: with `overlap`, what the key replaced retires from now on, and
        with `retire_when_unused` its use is judged from now on.

        Written with `delivered` in one step, so no crash can leave an old token
        whose successor is in use without the time it may be deleted from.
        """
        if record is None or record.id is None:
            return record
        waiting = [i for i in record.retiring if i not in record.retire_at]
        now = self._now()
        times = retire_times(record, waiting, now, self.overlaps.get(key))
        assert self.sink is not None
        folders = tuple(dict.fromkeys([*record.secret_dirs, *self.sink.folders(key)]))
        return replace(record, delivered=True, retire_at=times, secret_dirs=folders,
                       successor_delivered_at=successor_times(record, now),
                       held_by=_holders(record, record.id, held, ()))

    async def _partly(self, change: Change, item: NewSecret, held: tuple[str, ...],
                      error: str) -> None:
        """Some destinations hold the new token: it is kept, and so is the old one."""
        kept, missed = await self._record_held(change, item, held)
        self._new.finished.add(item.key)
        self._report(Outcome(change, Status.PARTLY_DELIVERED, item.token_id, error=error,
                             delivered_to=held, kept_at=kept, missed=missed))

    async def _record_held(self, change: Change, item: NewSecret, held: tuple[str, ...]
                           ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """State, on disk, of a new token only `held` took (the next plan replaces it,
        and its files go when it is deleted); the others that still hold the old
        token, and those that hold nothing."""
        key, token_id = item.key, item.token_id
        assert self.sink is not None
        rest = tuple(d for d in self.sink.destinations(item) if d not in held)
        old = change.token_id if change.retire is not None else None
        # Which of the others hold the old token: as state records (a destination that
        # failed before holds nothing), or all of them when state never said.
        before = self._writer.state.tokens.get(key)
        known = before.held_by.get(old) if before is not None and old is not None else None
        kept = rest if known is None else tuple(d for d in rest if d in known)
        if old is None:
            kept = ()

        def partly(record: TokenRecord | None) -> TokenRecord | None:
            if record is None or record.id != token_id:
                return record
            assert self.sink is not None
            folders = tuple(dict.fromkeys([*record.secret_dirs, *self.sink.folders(key)]))
            return replace(record, delivered=False, secret_dirs=folders,
                           held_by=_holders(record, token_id, held, rest, old))

        await self._writer.update(key, partly, durable=True)
        return kept, tuple(d for d in rest if d not in kept)

    async def _discard(self, change: Change, token_id: str, status: Status, *,
                       error: str | None = None, blocked: Blocked | None = None) -> None:
        """Delete a new token nobody holds, and put its key's state back as it was.

        Until the delete is done, state names the token (undelivered or
        unverified), so a crash leaves it for the next plan to replace.
        """
        key = change.key
        assert key is not None
        try:
            with contextlib.suppress(NotFound):  # already gone: what a delete wants
                await self._client.delete_token(self._org, token_id)
        except PstokensError as exc:
            self._new.finished.add(key)
            why = f"{error}; " if error else ""
            self._report(Outcome(change, status, token_id, blocked=blocked,
                                 error=f"{why}deleting it failed too ({_words(exc)})"))
            return
        self.deleted.add(token_id)
        before = self.before.get(key)
        await self._writer.update(key, lambda _r: before, durable=True)
        self._new.finished.add(key)
        self._report(Outcome(change, status, token_id, error=error, blocked=blocked,
                             rolled_back=True))


def _holders(record: TokenRecord, token_id: str, held: tuple[str, ...],
             rest: tuple[str, ...], old: str | None = None) -> dict[str, tuple[str, ...]]:
    """`held_by` once `token_id` is in `held`: those no longer hold any other
    token; `old`, if given, is held by `rest` where nothing says otherwise."""
    holders: dict[str, tuple[str, ...]] = {}
    for other, places in record.held_by.items():
        left = tuple(p for p in places if p not in held)
        if other != token_id and left:
            holders[other] = left
    if old is not None and old not in record.held_by and rest:
        holders[old] = rest
    holders[token_id] = held
    return holders


def _unverified(token_id: str) -> Callable[[TokenRecord | None], TokenRecord | None]:
    def update(record: TokenRecord | None) -> TokenRecord | None:
        if record is None or record.id != token_id:
            return record
        return replace(record, verified=False)

    return update


def _unexpected(exc: Exception, item: NewSecret) -> str:
    """What a sink's own exception says, the secret scrubbed out of it."""
    said = printable(scrub(str(exc), [item.secret.reveal()]))
    return f"delivery failed ({type(exc).__name__}{': ' + said if said else ''})"


def _words(exc: PstokensError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
