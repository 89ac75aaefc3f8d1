"""Telling `notify:` entries what plan and apply found, once the run is over.

Called after a plan is shown and after apply has let go of the state lock, so
a slow receiver never holds anything up but itself (and that only until the
sender's deadline). A notification that does not arrive is a warning on
stderr and changes no exit code. Nothing is imported unless the config has
`notify:` entries.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pstokens.cli.output import err
from pstokens.config import Config
from pstokens.errors import PstokensError

if TYPE_CHECKING:
    from pstokens.engine.planning.outcome import ApplyResult
    from pstokens.engine.planning.plan import Plan
    from pstokens.notify.message import Notice


def notify_plan(config: Config, plan: Plan) -> None:
    """drift, violations and expiring, as the plan raises them."""
    if config.notify:
        from pstokens.render.notice import plan_notices

        _send(config, plan_notices(plan))


def notify_apply(config: Config, result: ApplyResult | None, plan: Plan | None = None) -> None:
    """applied or apply_failed; nothing when there was nothing to apply (None); and
    leaked when the applied `plan` acted on leaked tokens."""
    if config.notify and result is not None:
        from pstokens.render.notice import apply_notice, leaked_notices

        leaks = leaked_notices(plan) if plan is not None else []
        _send(config, [*leaks, apply_notice(config.organization, result)])


def notify_apply_error(config: Config, exc: PstokensError) -> None:
    """apply_failed, for an apply that stopped on an error of its own (a state
    write, the API) rather than with failed steps."""
    if config.notify:
        from pstokens.render.errors import describe
        from pstokens.render.notice import apply_error_notice

        _send(config, [apply_error_notice(config.organization, describe(exc))])


def _send(config: Config, notices: Sequence[Notice]) -> None:
    if not notices:
        return
    from pstokens.notify.send import send
    from pstokens.render.notice import failure_text

    for item in asyncio.run(send(config.notify, notices, os.environ)):
        err(failure_text(item))
