"""The engine's `Notifier` for a config's `notify:` entries: worded here, posted by notify/.

What `pstokens plan` and `apply` always sent, now sent by the engine service
for every caller (the CLI, `serve`, a library's `Workspace`): `render/notice`
words each event, `notify/send` posts it (signed, retried, bounded in time).
A notice that does not arrive becomes one line given to `warn` (the CLI:
stderr; serve and the library: a logged warning), naming the entry, never
its URL. httpx is imported only once something is sent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from pstokens.config.model import NotifyTarget
from pstokens.errors import UsageError
from pstokens.expected import expect, given
from pstokens.render.errors import describe

if TYPE_CHECKING:
    from pstokens.config.model import Config
    from pstokens.engine.planning.outcome import ApplyResult
    from pstokens.engine.planning.plan import Plan
    from pstokens.errors import PstokensError
    from pstokens.notify.message import Notice

logger = logging.getLogger("pstokens.notify")


class WebhookNotifier:
    """Posts what a plan or apply found to `targets` (a config's `notify:`)."""

    def __init__(self, targets: Sequence[NotifyTarget], organization: str,
                 warn: Callable[[str], None] | None = None) -> None:
        if isinstance(targets, str | bytes):  # its characters would be taken for entries
            raise UsageError("WebhookNotifier takes a collection of NotifyTarget entries "
                             "(a config's `notify:`), not a string",
                             hint="pass config.notify, or a list of NotifyTarget")
        if not isinstance(targets, Iterable):
            raise UsageError(f"WebhookNotifier targets must be a collection of NotifyTarget "
                             f"entries (a config's `notify:`), not {given(targets)}",
                             hint="pass config.notify, or a list of NotifyTarget")
        self._targets = tuple(targets)
        for target in self._targets:
            expect(target, NotifyTarget, "WebhookNotifier targets",
                   "a collection of NotifyTarget entries (a config's `notify:`)")
        expect(organization, str, "WebhookNotifier organization", "the organization's name")
        if warn is not None and not callable(warn):
            raise UsageError(f"WebhookNotifier warn must be a function taking a str, or None, "
                             f"not {given(warn)}")
        self._organization = organization
        self._warn = warn or logger.warning

    async def planned(self, plan: Plan) -> None:
        from pstokens.render.notice import plan_notices

        await self._send(plan_notices(plan))

    async def applied(self, plan: Plan, result: ApplyResult) -> None:
        from pstokens.render.notice import apply_notice, leaked_notices

        await self._send([*leaked_notices(plan), apply_notice(self._organization, result)])

    async def apply_failed(self, error: PstokensError) -> None:
        from pstokens.render.notice import apply_error_notice

        await self._send([apply_error_notice(self._organization, describe(error))])

    async def _send(self, notices: Sequence[Notice]) -> None:
        if not notices:
            return
        from pstokens.notify.send import send
        from pstokens.render.notice import failure_text

        for item in await send(self._targets, notices, os.environ):
            self._warn(failure_text(item))


def notifier_for(config: Config, warn: Callable[[str], None] | None = None,
                 ) -> WebhookNotifier | None:
    """The notifier of `config`'s `notify:` entries; None when it has none."""
    if not config.notify:
        return None
    return WebhookNotifier(config.notify, config.organization, warn)
