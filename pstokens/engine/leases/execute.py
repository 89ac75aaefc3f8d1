"""`pstokens exec`: open a lease, run COMMAND with it, delete it however COMMAND ends.

The order is the promise: no COMMAND without a verified lease; no exit
without the lease deleted (unless pstokens itself is killed, when the lease
dies at its ttl and a plan or `lease sweep` deletes it). A signal before
COMMAND starts undoes the lease; during COMMAND it is passed on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from pstokens.config.model import TokenSpec
from pstokens.engine.leases.child import Signals, command_env, exit_status_of, run_command
from pstokens.engine.leases.lease import Lease, LeaseMaker
from pstokens.errors import PstokensError

Notify = Callable[[str, Lease], None]  # ("ready" | "deleted" | "kept", lease)


async def exec_with_lease(
    maker: LeaseMaker, spec: TokenSpec, ttl: int, argv: Sequence[str],
    base_env: Mapping[str, str], organization: str, notify: Notify,
) -> int:
    """COMMAND's exit status (128+N for signal N); raises if the lease cannot be made."""
    signals = Signals()
    with signals.held():
        setup = asyncio.ensure_future(maker.open(spec, ttl))
        signals.setup = setup
        try:
            lease = await setup
        except asyncio.CancelledError:
            if signals.received is not None:  # SIGINT/SIGTERM before COMMAND: undone
                return exit_status_of(signals.received)
            raise
        signals.setup = None
        notify("ready", lease)
        env = command_env(base_env, lease.token_id, lease.secret.reveal(), organization)
        try:
            return await run_command(argv, env, signals)
        finally:
            try:
                await maker.close(lease)
                notify("deleted", lease)
            except PstokensError:
                notify("kept", lease)
