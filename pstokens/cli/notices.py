"""The CLI's notifier: a config's `notify:` entries, each failure a warning on stderr.

The engine service tells it what plan and apply found (`Workspace.notifier`),
after a plan is shown and after apply has let go of the state lock, so a slow
receiver never holds anything up but itself (and that only until the
sender's deadline). A notification that does not arrive changes no exit
code. Nothing is imported unless the config has `notify:` entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pstokens.cli.output import err
from pstokens.config import Config

if TYPE_CHECKING:
    from pstokens.engine.run import Notifier


def cli_notifier(config: Config) -> Notifier | None:
    """What tells `config`'s `notify:` entries; None when it has none."""
    if not config.notify:
        return None
    from pstokens.render.notifier import notifier_for

    return notifier_for(config, warn=err)
