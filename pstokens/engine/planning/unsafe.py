"""What makes a plan unsafe to apply without `--force`, decided once, at plan time.

Too many deletes (past `safety.max_delete_percent` of the managed tokens, once
there are enough of them for a share to mean something), or the delete of an
unmanaged token named like a key. The applier refuses such a plan itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pstokens.config.model import Config
from pstokens.engine.planning.plan import Action, Cause, Change
from pstokens.engine.rules.findings import Unsafe, UnsafeKind

if TYPE_CHECKING:
    from pstokens.state.model import State

# Below this many managed tokens, a share of deletes says little: no threshold.
MIN_MANAGED_FOR_THRESHOLD = 10


def unsafe_findings(
    changes: Sequence[Change], state: State, config: Config
) -> tuple[Unsafe, ...]:
    """Why applying `changes` needs --force: too many deletes, or a namesake's."""
    found: list[Unsafe] = []
    managed = sum(1 for r in state.tokens.values() if r.id is not None)
    counted = [
        c for c in changes
        if c.action is Action.DELETE and c.deletes_live_token
        and c.cause not in (Cause.REPLACED, Cause.RETIRED, Cause.OVERLAP_ENDED, Cause.LEAKED,
                            Cause.NOT_USED, Cause.ROTATION_STUCK)
    ]
    deletes = len(counted)
    over = deletes * 100 > managed * config.max_delete_percent
    if managed >= MIN_MANAGED_FOR_THRESHOLD and over:
        found.append(Unsafe(UnsafeKind.TOO_MANY_DELETES, deletes=deletes, managed=managed,
                            percent=config.max_delete_percent,
                            unmanaged=sum(1 for c in counted if c.key is None)))
    # Deleting an unmanaged token named like a key is how a teammate whose state
    # predates another's apply would destroy that apply's token: never silently.
    for change in changes:
        if change.cause is Cause.UNMANAGED and change.name in config.tokens:
            found.append(Unsafe(UnsafeKind.DELETES_NAMESAKE, key=change.name,
                                token_id=change.token_id))
    return tuple(sorted(found, key=lambda u: (str(u.kind), u.key or "", u.token_id or "")))
