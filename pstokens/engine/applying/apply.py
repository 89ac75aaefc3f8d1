"""Carrying out a plan: state-only updates, create, grant, verify and deliver, revoke, delete.

Each phase runs its changes in parallel (the client bounds calls in flight).
A new token is delivered only once all its grants succeeded and its
verification call passed (`deliverstep`); one that never reaches a
destination is deleted again. A replaced token is deleted only once its
successor holds its accesses, is verified and is delivered to every
destination (with `overlap`, not then but by the first apply after
`retire_at`). State is written as steps succeed; an intent is on disk before
every create. Ctrl-C raises `ApplyInterrupted` saying what exists. The
applier refuses an unsafe plan itself, whoever calls it, and works from the
plan alone: where secrets go, how new tokens are verified and when replaced
tokens die are plan values.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime

from pstokens import clock
from pstokens.api.errors import NotFound
from pstokens.delivery import PerTokenSink, SecretSink, forget_files
from pstokens.engine.applying.createstep import create_retrying
from pstokens.engine.applying.deliverstep import NewTokens, Readying
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.applying.verify import Patience
from pstokens.engine.planning.leaseplan import forget_lease
from pstokens.engine.planning.outcome import (
    ApplyInterrupted,
    ApplyResult,
    Blocked,
    Interruption,
    Outcome,
    Reporter,
    Status,
)
from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.engine.planning.policy import check_allowed, check_safe
from pstokens.engine.planning.records import after_delete, intent_record
from pstokens.engine.reading.ports import TokenApi
from pstokens.errors import PstokensError
from pstokens.state.model import State, TokenRecord

__all__ = ["Applier", "ApplyInterrupted", "ApplyResult", "Outcome", "Reporter", "Status"]


class Applier:
    def __init__(
        self,
        client: TokenApi,
        writer: StateWriter,
        sink: SecretSink,
        reporter: Reporter,
        now: Callable[[], datetime] = lambda: clock.now(),
        patience: Patience | None = None,
    ) -> None:
        """`sink` delivers the secrets of tokens without `deliver:` in the plan;
        those with it go where the plan says (`PerTokenSink` over `sink`).
        `patience` is how long a refused verification is retried (tests inject it)."""
        self._client = client
        self._writer = writer
        self._default_sink = sink
        self._sink: SecretSink = sink
        self._reporter = reporter
        self._now = now
        self._patience = patience
        self._org = ""
        self._overlaps: dict[str, int] = {}  # key -> seconds its replaced tokens are kept
        self._removed: frozenset[str] = frozenset()  # keys that left the config
        self._new = NewTokens()  # what this apply created, and how far each got
        self._blocked: dict[str, Blocked] = {}  # key -> why its grants cannot go ahead
        self._unready: set[str] = set()  # keys whose create, grant, check or delivery failed
        self._doomed: dict[str, set[str]] = {}  # key -> live token IDs this apply deletes
        self._deleted: set[str] = set()  # token IDs deleted so far
        self._keep: dict[str, set[str]] = {}  # key -> retiring IDs kept by `overlap`
        self._until_unused: set[str] = set()  # keys whose replaced token waits to go unused
        self.result = ApplyResult()

    async def apply(self, plan: Plan, *, force: bool = False) -> ApplyResult:
        check_allowed(plan)
        check_safe(plan, force=force)
        self._org = plan.organization
        self._removed = frozenset(plan.removed)
        self._sink = PerTokenSink(plan.deliveries(), self._default_sink)
        readying = Readying(self._client, self._writer, self._org, self._new, self._report,
                            self._now, self._patience)
        readying.sink, readying.overlaps, readying.unready = self._sink, self._overlaps, \
            self._unready
        readying.before = dict(self._writer.state.tokens)
        readying.until_unused = self._until_unused
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
            await self._run([c for c in creates if c.key in self._new.ids], readying.ready)
            self._deleted |= readying.deleted
            await self._run(phases.get(2, []), self._revoke)
            await self._run(self._deletes(plan, phases.get(3, [])), self._delete)
        except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C: say what exists
            made = self._new.made(creates, self._deleted | readying.deleted)
            raise ApplyInterrupted(Interruption(made), self.result) from None
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
            except PstokensError as exc:
                if change.phase == 0:
                    self._block(change, Blocked.NOT_CREATED)
                    if change.key is not None:
                        self._new.finished.add(change.key)
                elif change.key is not None and change.phase == 1:
                    self._unready.add(change.key)
                token_id = self._new.ids.get(change.key or "") if change.makes_token else None
                self._report(Outcome(change, Status.FAILED, token_id or change.token_id,
                                     error=_words(exc)))

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

            def intent(record: TokenRecord | None, change: Change = change,
                       doomed: list[str] = doomed) -> TokenRecord:
                kept = self._keep.get(change.key or "", set())
                return intent_record(record, change, {*doomed, *kept},
                                     plan.namesakes.get(change.key or "", ()), now)

            await self._writer.update(key, intent)
        if creates:
            await self._writer.flush()

    async def _create(self, change: Change) -> None:
        """Create the token and record its ID; its secret waits, in memory only,
        for its grants and its verification (`deliverstep`)."""
        key = change.key
        assert key is not None
        created = await create_retrying(self._client, self._org, change,
                                        lambda: self._writer.state)
        token = created.token
        self._new.ids[key] = token.id
        self._new.secrets[key] = created.secret

        def made(record: TokenRecord | None) -> TokenRecord:
            assert record is not None
            return replace(
                record, id=token.id, created_at=token.created_at, expires_at=token.expires_at,
                pending_since=None, accesses={}, delivered=False, preexisting=(),
            )

        await self._writer.update(key, made, durable=True)

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
        if blocked is not None or change.key not in self._new.ids:
            self._report(Outcome(change, Status.SKIPPED,
                                 blocked=blocked or Blocked.NOT_CREATED))
            return None
        return self._new.ids[change.key]

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
        key = change.key or ""
        return after_delete(record, change.token_id, self._doomed.get(key, set()),
                            self._keep.get(key, set()), self._deleted,
                            removed=key in self._removed)


def _words(exc: PstokensError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
