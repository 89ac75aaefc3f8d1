"""One engine service for every caller: lock, state, API, plan, guards, apply.

The CLI commands, the MCP tools and library code all run pstokens through a
`Workspace`, so each gets the same guarantees in the same order: a config
that breaks its own `rules:` is refused, `--target`/`--replace` must name
known keys (before any lock or call), a saved plan keeps its own scope and
destinations, the state lock is held for the whole run, a saved plan must
still hold, and an unsafe plan needs `force`.

The engine knows no HTTP and no webhooks: a Workspace is given `connect`,
which opens a client satisfying `TokenApi` (the CLI's and the adapters' open
`PlanetScaleClient`), and a `notifier` told of each plan and apply (none by
default). Its state edits (import, export --adopt, state rm|mv|push|unlock)
and its lock are `StateEdits` (`engine/applying/stateedits.py`). Everything
else in `pstokens.engine` is private by convention; docs/python.md shows a
library caller's whole run (`examples/library/plan_and_apply.py`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pstokens import clock
from pstokens.config.model import Config
from pstokens.defaults import DEFAULT_SECRETS_DIR
from pstokens.delivery import DirectorySink
from pstokens.destinations import Destination, DirDestination
from pstokens.engine.applying.apply import Applier, ApplyResult, Reporter
from pstokens.engine.applying.notifier import Notifier, is_news
from pstokens.engine.applying.stateedits import StateEdits
from pstokens.engine.applying.statewriter import StateWriter
from pstokens.engine.planning.arguments import (
    check_flag,
    check_plan,
    check_plan_options,
    check_text,
    check_workspace,
    opened,
)
from pstokens.engine.planning.judging import Judge
from pstokens.engine.planning.outcome import SilentReporter
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions
from pstokens.engine.planning.policy import (
    check_allowed,
    check_options,
    check_safe,
    check_saved_scope,
)
from pstokens.engine.planning.stuck import forced
from pstokens.engine.reading.fresh import fresh_plan, plan_for_apply
from pstokens.engine.reading.policyrun import isolated
from pstokens.engine.reading.ports import TokenApi
from pstokens.engine.rules.guardrails import refuse_broken_rules
from pstokens.engine.rules.policies import check_policies
from pstokens.errors import PstokensError, UsageError
from pstokens.operations import OperationsTable, operations_table
from pstokens.state.base import StateStore

if TYPE_CHECKING:
    from pstokens.config.model import TokenSpec
    from pstokens.delivery import SecretSink
    from pstokens.engine.inventory.report import Report
    from pstokens.engine.inventory.whocan import Able
    from pstokens.engine.leases.execute import Notify
    from pstokens.engine.leases.lease import SweepResult
    from pstokens.engine.leases.leasebook import LeaseBook
    from pstokens.engine.rules.leaseview import LeaseView

__all__ = ["EVERYTHING", "Judge", "Notifier", "PlanOptions", "Workspace", "isolated"]

# Plan every key, replace none: what `pstokens plan` does with no --target/--replace.
EVERYTHING = PlanOptions()
# Where new secrets go when neither `deliver:` nor the options say.
DEFAULT_DELIVER: tuple[Destination, ...] = (DirDestination(str(DEFAULT_SECRETS_DIR)),)
_Progress = Callable[[Plan], AbstractContextManager[Reporter]]


@dataclass
class Workspace(StateEdits):
    """An organization, its state store and a way to reach its API.

    `config` is None only for `report` and `export`, which read without rules.
    `lock_timeout` is how long a run waits for the state lock (0: not at all).
    """

    organization: str
    store: StateStore
    connect: Callable[[], AbstractAsyncContextManager[TokenApi]]
    config: Config | None = None
    lock_timeout: float = 0.0
    # The operations table every plan is made with: loaded once, on the first plan,
    # unless the caller gives one.
    table: OperationsTable | None = None
    # What `rules.policies` see of each plan, and for how long (`Judge`: the plan's own
    # data, in a child process killed past the limit; the CLI and the adapters pass the
    # document `plan --format json` prints).
    judge: Judge = field(default_factory=lambda: Judge(evaluate=isolated))
    # Told of each plan and apply (`engine/applying/notifier.py`); None: nobody.
    notifier: Notifier | None = None
    _checked: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        check_workspace(self.organization, self.store, self.connect, self.config,
                        self.lock_timeout, self.notifier)

    def operations(self) -> OperationsTable:
        """The operations table, loaded once ($PSTOKENS_OPERATIONS_TABLE's, or the
        packaged one) and then passed to the planner as a value."""
        if self.table is None:
            self.table = operations_table()
        return self.table

    def checked_config(self) -> Config:
        """The config, refused when its tokens break its own rules (every finding
        located): plans and applies start from this."""
        if self.config is None:
            raise UsageError("this needs a config file", hint="pass -c FILE")
        if not self._checked:
            refuse_broken_rules(self.config)
            if self.config.rules is not None:  # a policy that does not parse: before any call
                check_policies(self.config.rules.policies)
            self._checked = True
        return self.config

    def check(self, options: PlanOptions) -> Config:
        """The guards that need no lock and no call; run them before either."""
        config = self.checked_config()
        check_options(config, self.read_state(), options)
        return config

    async def plan(self, options: PlanOptions = EVERYTHING, *, lock: bool = True,
                   show: Callable[[Plan], None] | None = None, notify: bool = True) -> Plan:
        """A fresh plan. With `lock` (plan, as the CLI runs it) the state lock is
        held while it is made; the read-only tools plan without it. Every new
        token's destinations are resolved in it (`DEFAULT_DELIVER` when neither
        its `deliver:` nor `options.default_deliver` says), so a saved plan
        delivers where it says. Once the lock is let go, `show` sees the plan and
        then the notifier hears of it (unless `notify` is False: a look, not a run)."""
        check_plan_options(options)
        options = _with_destinations(options)
        config = self.check(options)
        async with self._maybe_locked(lock):
            state = self.read_state()
            async with opened(self.connect) as client:
                plan = await fresh_plan(client, config, state, options,
                                        table=self.operations(), judge=self.judge)
        if show is not None:
            show(plan)
        if notify and self.notifier is not None:
            await self.notifier.planned(plan)
        return plan

    async def apply(
        self,
        options: PlanOptions = EVERYTHING,
        *,
        sink: SecretSink | None = None,
        saved: Plan | None = None,
        force: bool = False,
        show: Callable[[Plan], None] | None = None,
        approve: Callable[[Plan], bool] | None = None,
        progress: _Progress | None = None,
    ) -> tuple[Plan, ApplyResult | None]:
        """Plan (or check `saved`) and carry it out, under the lock throughout.

        New secrets go where the plan says: `options.default_deliver` (else
        `DEFAULT_DELIVER`) for tokens without `deliver:`, or, for a saved plan,
        the destinations it recorded; a library caller may pass its own `sink`
        for them instead. `show` sees the plan first; `approve` is asked only once the plan has
        changes and passed the safety guard (False: nothing is done); `progress`
        gives the reporter each step is told to. Returns the plan and the
        result, None when there was nothing to do or it was not approved. The
        notifier hears of the result, or of an error that stopped the apply,
        once the lock is let go.
        """
        check_plan_options(options)
        if saved is not None:
            check_plan(saved, "saved")
            check_saved_scope(options)
        check_flag(force, "force")
        if saved is None and sink is None:
            options = _with_destinations(options)
        config = self.check(options)
        try:
            plan, result = await self._apply(config, options, saved, force, sink,
                                             (show, approve, progress))
        except PstokensError as exc:
            if self.notifier is not None and is_news(exc):
                await self.notifier.apply_failed(exc)
            raise
        if result is not None and self.notifier is not None:
            await self.notifier.applied(plan, result)
        return plan, result

    async def _apply(
        self, config: Config, options: PlanOptions, saved: Plan | None, force: bool,
        sink: SecretSink | None, asks: tuple[Callable[[Plan], None] | None,
                                             Callable[[Plan], bool] | None, _Progress | None],
    ) -> tuple[Plan, ApplyResult | None]:
        show, approve, progress = asks
        async with self._maybe_locked(True):
            state = self.read_state()
            async with opened(self.connect) as client:
                plan = await plan_for_apply(client, config, state, options, saved=saved,
                                            table=self.operations(), judge=self.judge)
                if force:  # stuck rotations: only a forced apply deletes them
                    plan = forced(plan)
                if show is not None:
                    show(plan)
                check_allowed(plan)  # a deny stops apply even when nothing else differs
                if not plan.has_changes:
                    return plan, None
                check_safe(plan, force=force)
                if approve is not None and not approve(plan):
                    return plan, None
                writer = StateWriter(self.store, state)
                steps = progress(plan) if progress else contextlib.nullcontext(SilentReporter())
                with steps as rep:
                    # Only a change without destinations (a plan made for a
                    # library caller's own sink) uses the fallback.
                    fallback = sink or DirectorySink(DEFAULT_SECRETS_DIR)
                    applier = Applier(client, writer, fallback, rep)
                    return plan, await applier.apply(plan, force=force)

    async def report(self) -> Report:
        """Every live token, managed or not, with the config's rules when there is
        one; changes nothing and takes no lock."""
        from pstokens.engine.reading.reviews import read_report

        # A review, not a run: a config that breaks its own rules is reported on, not refused.
        rules = self.config.rules if self.config is not None else None
        state = self.read_state()
        async with opened(self.connect) as client:
            return await read_report(client, self.organization, state, rules)

    async def who_can(self, operation: str, database: str | None = None) -> tuple[Able, ...]:
        """The live tokens, managed or not, that can perform `operation` (on
        `database`), each with the accesses that allow it; the calls a report makes."""
        check_text(operation, "operation", "an operation's name, such as \"delete_branch\"")
        if database is not None:
            check_text(database, "database", "a database's name, or None")
        from pstokens.engine.reading.reviews import read_who_can

        known = ({db for spec in self.config.tokens.values() for db in spec.accesses
                  if db is not None} if self.config is not None else set())
        state = self.read_state()
        async with opened(self.connect) as client:
            return await read_who_can(client, self.organization, state, operation, database,
                                      known_databases=known)

    def check_exec(self, key: str, ttl: int | None, argv: Sequence[str]) -> tuple[TokenSpec, int]:
        """`exec`'s guards before any call: a known key, a ttl within bounds, a
        COMMAND that can start (else 127 not found, 126 not executable, as a shell;
        nothing is made)."""
        from pstokens.engine.leases.child import unstartable
        from pstokens.engine.leases.lease import lease_spec

        spec, seconds = lease_spec(self.checked_config(), key, ttl)
        problem = unstartable(argv)
        if problem is not None:
            raise problem
        return spec, seconds

    async def exec(
        self, key: str, ttl: int | None, argv: Sequence[str], env: Mapping[str, str],
        notify: Notify,
    ) -> int:
        """Run `argv` with a lease holding `key`'s accesses (deleted however it ends);
        COMMAND's exit status, 128+N for signal N. The lock is held only around the
        state writes, so parallel execs of one key work."""
        from pstokens.engine.leases.execute import exec_with_lease
        from pstokens.engine.leases.lease import LeaseMaker

        spec, seconds = self.check_exec(key, ttl, argv)
        async with opened(self.connect) as client:
            maker = LeaseMaker(client, self._lease_book(), self.organization)
            return await exec_with_lease(maker, spec, seconds, argv, env, self.organization,
                                         notify)

    async def leases(self) -> list[LeaseView]:
        """Every lease: recorded in state, or live and admitted by the config's `LeaseRule`.
        A recorded lease is gone only when the API no longer has it (`confirm_gone`)."""
        from pstokens.engine.leases.lease import confirm_gone
        from pstokens.engine.planning.leaseplan import LeaseRule, find_leases, settled
        from pstokens.engine.reading.observe import live_token

        before = self.read_state()
        async with opened(self.connect) as client:
            tokens = await client.list_tokens(self.organization)
            live = {t.id: live_token(t, t.accesses) for t in tokens}
            found = find_leases(self.read_state(), live, LeaseRule.of(self.config))
            return await confirm_gone(client, self.organization, settled(found, before))

    async def sweep_leases(self, *, every: bool = False) -> SweepResult:
        """Delete expired leases (`every`: all of them) and forget those already gone."""
        from pstokens.engine.leases.lease import sweep
        from pstokens.engine.planning.leaseplan import LeaseRule

        async with opened(self.connect) as client:
            return await sweep(client, self._lease_book(), self.organization, clock.now(),
                               every=every, rule=LeaseRule.of(self.config))

    def _lease_book(self) -> LeaseBook:
        from pstokens.engine.leases.leasebook import LeaseBook

        return LeaseBook(self.store, self.organization, self.lock_timeout)


def _with_destinations(options: PlanOptions) -> PlanOptions:
    """`options` with `default_deliver` resolved: `DEFAULT_DELIVER` when unset."""
    if options.default_deliver is not None:
        return options
    return dataclasses.replace(options, default_deliver=DEFAULT_DELIVER)
