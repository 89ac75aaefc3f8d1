"""`prevent_destroy` holds in the adapters too: a protected token is not deleted through them.

`pstokens apply` skips deleting a token that state marks `prevent_destroy`;
an agent or a script calling `serve` must not get around that, so a delete
through REST or MCP reads the organization's state first and is refused
(409) when the token is protected, or when state cannot be read to tell.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pstokens.errors import PstokensError
from pstokens.state import StateStore

StateStores = Callable[[str], StateStore]  # organization -> its state, as --state says


class Refused(PstokensError):
    """A request pstokens itself refuses (not the API): answered 409 `conflict`."""

    status = 409
    code = "conflict"

    def body(self) -> dict[str, str]:
        text = self.message + (f" (hint: {self.hint})" if self.hint else "")
        return {"code": self.code, "message": text}


class DeleteGuard:
    """Checks a delete against the organization's state; `state_store` None checks nothing."""

    def __init__(self, state_store: StateStores | None) -> None:
        self._state_store = state_store

    async def check(self, org: str, token_id: str) -> None:
        """Return if `token_id` may be deleted; else raise `Refused` saying why."""
        if self._state_store is None:
            return
        try:
            store = self._state_store(org)
            path = store.location
            # Off the event loop (both adapters share it): the state may be an S3 object.
            state = await asyncio.to_thread(store.load, org)
        except PstokensError as exc:
            raise Refused(
                f'refusing to delete service token "{token_id}": the state could not be read '
                f"to check prevent_destroy ({exc.message})",
                hint=exc.hint or "fix or restore the state, then delete it",
            ) from None
        for key, record in state.tokens.items():
            if record.id == token_id and record.prevent_destroy:
                raise Refused(
                    f'refusing to delete service token "{token_id}": it is "{key}" in {path}, '
                    "which marks it prevent_destroy",
                    hint=f'set prevent_destroy: false for "{key}" in the config and run '
                    "pstokens apply, then delete it",
                )
