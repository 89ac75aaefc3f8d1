"""The engine service's notifier port: who hears what a plan or an apply found.

`Workspace` (`engine/run.py`) tells its `notifier` at the points `pstokens
plan` and `apply` always told `notify:` entries: once a plan is shown, once
an apply has let go of the state lock (its result, or the error that stopped
it). The engine knows no webhooks (`pstokens.notify` sits above it): the
CLI, `serve` and library callers inject one (`pstokens.render.notifier`'s
`WebhookNotifier` posts to a config's `notify:` entries). A notifier never
raises: whether anyone heard of a run does not change its outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pstokens.errors import PlanError, PstokensError, UsageError

if TYPE_CHECKING:
    from pstokens.engine.planning.outcome import ApplyResult
    from pstokens.engine.planning.plan import Plan


class Notifier(Protocol):
    """Told of each plan and apply a `Workspace` runs."""

    async def planned(self, plan: Plan) -> None:
        """A fresh plan was made and shown (drift, violations, expiring, leaked,
        rotation_stuck, as it raises them)."""
        ...

    async def applied(self, plan: Plan, result: ApplyResult) -> None:
        """An apply carried out `plan` (applied or apply_failed; leaked when it acted
        on leaked tokens)."""
        ...

    async def apply_failed(self, error: PstokensError) -> None:
        """An apply stopped on an error of its own (a state write, the API)."""
        ...


def is_news(error: PstokensError) -> bool:
    """Whether an apply stopped by `error` is news: a refused plan or bad options
    changed nothing, and an interrupted apply says what exists itself."""
    from pstokens.engine.planning.outcome import ApplyInterrupted

    return not isinstance(error, PlanError | UsageError | ApplyInterrupted)
