"""Carrying out a plan: state-only updates, create, grant, revoke, delete, in that order.

Each phase runs its changes in parallel (the client bounds calls in flight);
a change whose token failed to come into being, or whose secret could not be
delivered, is skipped, and a replaced token is deleted only once its
successor exists, holds its accesses and its secret is delivered (with
`overlap`, not then but by the first apply after `retire_at`). State is
written as steps succeed; an intent is on disk before every create. The
applier refuses an unsafe plan itself, whoever calls it, and works from the
plan alone: where secrets go and when replaced tokens die are plan values.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime

from pstokens import clock
from pstokens.api.errors import NotFound, OutcomeUnknown
from pstokens.api.models import CreatedToken
from pstokens.delivery import NewSecret, PerTokenSink, SecretSink, forget_files
from pstokens.engine.leaseplan import forget_lease
from pstokens.engine.lost import lost_creates
from pstokens.engine.observe import live_token
from pstokens.engine.outcome import ApplyResult, Blocked, Outcome, Reporter, Status
from pstokens.engine.plan import Action, Cause, Change, Plan
from pstokens.engine.policy import check_safe
from pstokens.engine.ports import TokenApi
from pstokens.engine.rotation import retire_times, successor_times
from pstokens.engine.statewriter import StateWriter
from pstokens.engine.verify import verify_new_token
from pstokens.errors import PstokensError, SecretDeliveryError
from pstokens.state.model import State, TokenRecord

CREATE_ATTEMPTS = 3

__all__ = ["Applier", "ApplyResult", "Outcome", "Reporter", "Status"]


class _Undelivered(Exception):
    def __init__(self, token_id: str, error: SecretDeliveryError) -> None:
        self.token_id = token_id
        self.error = error


class Applier:
    def __init__(
        self,
        client: TokenApi,
        writer: StateWriter,
        sink: SecretSink,
        reporter: Reporter,
        now: Callable[[], datetime] = lambda: clock.now(),
    ) -> None:
        """`sink` delivers the secrets of tokens without `deliver:` in the plan;
        those with it go where the plan says (`PerTokenSink` over `sink`)."""
        self._client = client
        self._writer = writer
        self._default_sink = sink
        self._sink: SecretSink = sink
        self._reporter = reporter
        self._now = now
        self._org = ""
        self._overlaps: dict[str, int] = {}  # key -> seconds its replaced tokens are kept
        self._removed: frozenset[str] = frozenset()  # keys that left the config
        self._new_ids: dict[str, str] = {}  # key -> id of the token this apply created
        self._blocked: dict[str, Blocked] = {}  # key -> why its grants cannot go ahead
        self._unready: set[str] = set()  # keys whose create, delivery or grant failed
        self._doomed: dict[str, set[str]] = {}  # key -> live token IDs this apply deletes
        self._deleted: set[str] = set()  # token IDs deleted so far
        self._keep: dict[str, set[str]] = {}  # key -> retiring IDs kept by `overlap`
        self._until_unused: set[str] = set()  # keys whose replaced token waits to go unused
        self.result = ApplyResult()

    async def apply(self, plan: Plan, *, force: bool = False) -> ApplyResult:
        check_safe(plan, force=force)
        self._org = plan.organization
        self._removed = frozenset(plan.removed)
        self._sink = PerTokenSink(plan.deliveries(), self._default_sink)
        phases: dict[int, list[Change]] = {}
        for change in plan.changes:
            phases.setdefault(change.phase, []).append(change)
            if change.key and change.token_id and change.deletes_live_token:
                self._doomed.setdefault(change.key, set()).add(change.token_id)
        for item in plan.retiring:
            self._keep.setdefault(item.key, set()).add(item.token_id)
            self._overlaps[item.key] = item.overlap_seconds
        for change in plan.changes:
            if change.key is not None and change.retire is not None:
                self._overlaps[change.key] = change.retire.overlap_seconds
                if change.retire.retire_when_unused:
                    self._until_unused.add(change.key)
        first = phases.get(0, [])
        creates = [c for c in first if c.action in (Action.CREATE, Action.REPLACE)]
        try:
            for change in first:
                if change.action is Action.UPDATE_STATE:
                    await self._update_state(change)
            await self._record_intents(plan, creates)
            await self._run(creates, self._create)
            await self._run(phases.get(1, []), self._grant)
            await self._run(phases.get(2, []), self._revoke)
            await self._run(self._deletes(plan, phases.get(3, [])), self._delete)
        finally:
            await self._writer.close()
            self.result.state = self._writer.state
        return self.result

    @property
    def state(self) -> State:
        return self._writer.state

    def _report(self, outcome: Outcome) -> None:
        self.result.outcomes.append(outcome)
        self._reporter.report(outcome)

    async def _run(
        self, changes: Iterable[Change], step: Callable[[Change], Awaitable[None]]
    ) -> None:
        async def guarded(change: Change) -> None:
            try:
                await step(change)
            except _Undelivered as signal:
                self._block(change, Blocked.UNDELIVERED)
                self._report(Outcome(change, Status.UNDELIVERED, signal.token_id,
                                     error=_words(signal.error)))
            except PstokensError as exc:
                if change.phase == 0:
                    self._block(change, Blocked.NOT_CREATED)
                elif change.key is not None and change.phase == 1:
                    self._unready.add(change.key)
                self._report(Outcome(change, Status.FAILED, change.token_id, error=_words(exc)))

        await asyncio.gather(*(guarded(c) for c in changes))

    def _block(self, change: Change, why: Blocked) -> None:
        if change.key is not None:
            self._blocked[change.key] = why
            self._unready.add(change.key)

    async def _update_state(self, change: Change) -> None:
        protect = change.cause is Cause.PROTECT

        def update(record: TokenRecord | None) -> TokenRecord | None:
            return record if record is None else replace(record, prevent_destroy=protect)

        assert change.key is not None
        # Durable at once: protection must not wait on the rest of the apply.
        await self._writer.update(change.key, update, durable=protect)
        self._report(Outcome(change, Status.DONE, change.token_id))

    async def _record_intents(self, plan: Plan, creates: list[Change]) -> None:
        """One durable write saying which creates are about to happen, and when.

        Each intent also names the tokens the key must still delete (what it
        replaces, duplicates of a lost create) and the live namesakes that are
        not pstokens': a lost create is never matched to one of those.
        """
        now = self._now()
        for change in creates:
            key = change.key
            assert key is not None
            doomed = sorted(self._doomed.get(key, ()))

            def intent(
                record: TokenRecord | None, change: Change = change, doomed: list[str] = doomed
            ) -> TokenRecord:
                # What this plan deletes or keeps retiring for the key; any other
                # retiring ID was already gone when it was made, so it is dropped.
                kept = self._keep.get(change.key or "", set())
                retiring = tuple(sorted({*doomed, *kept}))
                times = record.retire_at if record else {}
                delivered = record.successor_delivered_at if record else {}
                pending = record.pending_since if record and record.id is None else None
                known = record.preexisting if record and pending else ()
                namesakes = plan.namesakes.get(change.key or "", ())
                return TokenRecord(
                    id=None, name=change.name or change.key or "", ttl=change.ttl,
                    delivered=False, pending_since=pending or now, retiring=retiring,
                    retire_at={i: t for i, t in times.items() if i in retiring},
                    successor_delivered_at={i: t for i, t in delivered.items() if i in retiring},
                    secret_dirs=record.secret_dirs if record else (),
                    prevent_destroy=change.prevent_destroy,
                    preexisting=tuple(sorted({*known, *namesakes} - set(retiring))),
                )

            await self._writer.update(key, intent)
        if creates:
            await self._writer.flush()

    async def _create(self, change: Change) -> None:
        key = change.key
        assert key is not None
        created = await self._create_once(change)
        token = created.token
        self._new_ids[key] = token.id

        def made(record: TokenRecord | None) -> TokenRecord:
            assert record is not None
            return replace(
                record, id=token.id, created_at=token.created_at, expires_at=token.expires_at,
                pending_since=None, accesses={}, delivered=False, preexisting=(),
            )

        item = NewSecret(self._org, key, token.id, created.secret, name=change.name)
        try:
            await self._writer.update(key, made, durable=True)
            where = await self._sink.deliver(item)
        except SecretDeliveryError as exc:
            # The token exists and state knows it, undelivered: the next plan replaces it.
            raise _Undelivered(token.id, exc) from None
        except asyncio.CancelledError:  # Ctrl-C: say which token is left undelivered
            self._report(Outcome(change, Status.UNDELIVERED, token.id,
                                 blocked=Blocked.INTERRUPTED))
            raise
        await verify_new_token(self._client, self._writer, key, token.id, created.secret)
        await self._writer.update(key, lambda r: self._delivered(key, r),
                                  durable=bool(self._overlaps.get(key))
                                  or key in self._until_unused)
        self._report(Outcome(change, Status.DONE, token.id, delivered_to=(where,)))

    def _delivered(self, key: str, record: TokenRecord | None) -> TokenRecord | None:
        """Delivered: with `overlap`, what the key replaced retires from now on, and
        with `retire_when_unused` its use is judged from now on.

        Written with `delivered` in one step, so no crash can leave an old token
        whose successor is in use without the time it may be deleted from.
        """
        if record is None:
            return None
        waiting = [i for i in record.retiring if i not in record.retire_at]
        now = self._now()
        times = retire_times(record, waiting, now, self._overlaps.get(key))
        folders = tuple(dict.fromkeys([*record.secret_dirs, *self._sink.folders(key)]))
        return replace(record, delivered=True, retire_at=times, secret_dirs=folders,
                       successor_delivered_at=successor_times(record, now))

    async def _create_once(self, change: Change) -> CreatedToken:
        """Create, and when the answer is lost, clear away what it made and try again."""
        key = change.key
        assert key is not None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return await self._client.create_token(self._org, name=change.name, ttl=change.ttl)
            except OutcomeUnknown:
                if attempt == CREATE_ATTEMPTS:
                    raise
                await self._clear_lost(key)
        raise AssertionError("unreachable")

    async def _clear_lost(self, key: str) -> None:
        record = self._writer.state.tokens.get(key)
        if record is None:
            return
        live = [live_token(t, None) for t in await self._client.list_tokens(self._org)]
        for token in lost_creates(key, record, live, self._writer.state.managed_ids()):
            await self._delete_id(token.id)

    async def _grant(self, change: Change) -> None:
        token_id = self._target(change)
        if token_id is None:
            return
        await self._client.grant_accesses(self._org, token_id, change.accesses, change.database)
        await self._set_accesses(change, token_id, add=True)
        self._report(Outcome(change, Status.DONE, token_id))

    async def _revoke(self, change: Change) -> None:
        token_id = self._target(change)
        if token_id is None:
            return
        await self._client.revoke_accesses(self._org, token_id, change.accesses, change.database)
        await self._set_accesses(change, token_id, add=False)
        self._report(Outcome(change, Status.DONE, token_id))

    def _target(self, change: Change) -> str | None:
        if change.token_id is not None:
            return change.token_id
        blocked = self._blocked.get(change.key or "")
        if blocked is not None or change.key not in self._new_ids:
            self._report(Outcome(change, Status.SKIPPED,
                                 blocked=blocked or Blocked.NOT_CREATED))
            return None
        return self._new_ids[change.key]

    async def _set_accesses(self, change: Change, token_id: str, *, add: bool) -> None:
        def update(record: TokenRecord | None) -> TokenRecord | None:
            if record is None or record.id != token_id:
                return record
            accesses = dict(record.accesses)
            current = accesses.get(change.database, frozenset())
            names = frozenset(change.accesses)
            accesses[change.database] = current | names if add else current - names
            return replace(record, accesses={d: a for d, a in accesses.items() if a})

        assert change.key is not None
        await self._writer.update(change.key, update)

    def _deletes(self, plan: Plan, deletes: list[Change]) -> list[Change]:
        """The plan's deletes, plus what replacements retire once they succeeded.

        A token being replaced stays while its key's new token is not ready (its
        create, delivery or a grant failed): it may be the one that still works.
        One the plan keeps for an overlap, or until it goes unused, is left
        retiring (`retire_at` and `successor_delivered_at` were recorded with the
        delivery).
        """
        # A leaked token keeps its cause: nothing (`overlap`, a wait for disuse) holds it.
        olds = [
            Change(Action.DELETE, c.key, c.retire.token_id, name=c.name,
                   cause=Cause.LEAKED if c.cause is Cause.LEAKED else Cause.REPLACED)
            for c in plan.changes
            if c.retire is not None
        ]
        kept = []
        for change in [*deletes, *olds]:
            replaced = change.cause in (Cause.REPLACED, Cause.RETIRED, Cause.OVERLAP_ENDED,
                                        Cause.NOT_USED, Cause.ROTATION_STUCK,
                                        Cause.LEAKED)
            if replaced and change.key in self._unready:
                self._report(Outcome(change, Status.SKIPPED, change.token_id,
                                     blocked=Blocked.NOT_READY))
            elif change.cause is Cause.REPLACED and change.key in self._until_unused:
                # Retiring: a later apply deletes it once PlanetScale sees it unused.
                self._report(Outcome(change, Status.SKIPPED, change.token_id,
                                     blocked=Blocked.UNTIL_UNUSED))
            elif change.cause is Cause.REPLACED and self._overlaps.get(change.key or ""):
                # Retiring, not deleted: `retire_at` was recorded with the delivery.
                self._report(Outcome(change, Status.SKIPPED, change.token_id,
                                     blocked=Blocked.OVERLAP))
            else:
                kept.append(change)
        return kept

    async def _delete(self, change: Change) -> None:
        if change.token_id is not None and change.deletes_live_token:
            await self._delete_id(change.token_id)
            self._deleted.add(change.token_id)
            if change.key is not None:  # its secret file goes too (not a newer one)
                record = self._writer.state.tokens.get(change.key)
                folders = [*(record.secret_dirs if record else ()),
                           *self._sink.folders(change.key)]
                forget_files(folders, self._org, change.key, change.token_id)
        if change.key is not None:
            await self._writer.update(change.key, lambda r: self._forget(change, r))
        if change.key is None and change.cause in (Cause.LEASE_EXPIRED, Cause.LEAKED):
            await self._writer.edit(lambda s: forget_lease(s, change.token_id, change.name))
        self._report(Outcome(change, Status.DONE, change.token_id))

    async def _delete_id(self, token_id: str) -> None:
        with contextlib.suppress(NotFound):  # already gone: what a delete wants
            await self._client.delete_token(self._org, token_id)

    def _forget(self, change: Change, record: TokenRecord | None) -> TokenRecord | None:
        """State after a delete: the ID is gone, and so is a key left with nothing.

        Retiring IDs this plan does not delete were already gone when it was
        made, so they go too. A removed key stays while any of its deletes is
        outstanding: what those would delete must still be found next time.
        """
        if record is None:
            return None
        doomed = self._doomed.get(change.key or "", set())
        kept = self._keep.get(change.key or "", set())
        retiring = tuple(i for i in record.retiring
                         if (i in doomed or i in kept) and i not in self._deleted)
        ident = None if record.id in self._deleted or record.id == change.token_id else record.id
        if change.key in self._removed and ident is None and not doomed - self._deleted:
            return None
        times = {i: t for i, t in record.retire_at.items() if i in retiring}
        delivered = {i: t for i, t in record.successor_delivered_at.items() if i in retiring}
        return replace(record, id=ident, retiring=retiring, retire_at=times,
                       successor_delivered_at=delivered)


def _words(exc: PstokensError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
