"""A create whose answer may be lost: clear away what it made, then try again.

Before each create, state holds the key's intent (`records.intent_record`), so
what a lost create made is found by the rule the planner uses too
(`planning/converge.py`) and deleted before the next attempt: retrying never
leaves a second token behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from pstokens.api.errors import NotFound, OutcomeUnknown
from pstokens.api.models import CreatedToken
from pstokens.engine.planning.converge import lost_creates
from pstokens.engine.planning.plan import Change
from pstokens.engine.reading.observe import live_token
from pstokens.engine.reading.ports import TokenApi
from pstokens.state.model import State

CREATE_ATTEMPTS = 3


async def create_retrying(client: TokenApi, organization: str, change: Change,
                          state: Callable[[], State]) -> CreatedToken:
    """Create `change`'s token; when the answer is lost, clear what it made and retry."""
    key = change.key
    assert key is not None
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return await client.create_token(organization, name=change.name, ttl=change.ttl)
        except OutcomeUnknown:
            if attempt == CREATE_ATTEMPTS:
                raise
            await _clear_lost(client, organization, key, state())
    raise AssertionError("unreachable")


async def _clear_lost(client: TokenApi, organization: str, key: str, state: State) -> None:
    record = state.tokens.get(key)
    if record is None:
        return
    live = [live_token(t, None) for t in await client.list_tokens(organization)]
    for token in lost_creates(key, record, live, state.managed_ids()):
        with contextlib.suppress(NotFound):  # already gone: what a delete wants
            await client.delete_token(organization, token.id)
