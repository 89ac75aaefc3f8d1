"""Reading the organization into plain data: every token, and the accesses the plan needs.

Accesses come from the list items when the API embeds them; otherwise one read
per token, only for the tokens the planner will diff, all in flight together
under the client's parallelism and pacing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from pstokens.api.models import ServiceToken, TokenAccess
from pstokens.config.model import Config
from pstokens.engine.live import LiveToken, access_map
from pstokens.engine.ports import TokenApi
from pstokens.state.model import State


async def read_organization(
    client: TokenApi,
    organization: str,
    needs_accesses: Callable[[ServiceToken], bool],
    *,
    expected: int = 0,
) -> dict[str, LiveToken]:
    """Every live token; `expected` (the tokens state knows) lets the list pages go together."""
    tokens = await client.list_tokens(organization, expected=expected)

    # Only tokens whose accesses were not embedded and are needed cost a call;
    # the rest are read without a task each.
    fetch = [t for t in tokens if t.accesses is None and needs_accesses(t)]
    fetched = await asyncio.gather(*(client.list_accesses(organization, t.id) for t in fetch))
    read = {t.id: a for t, a in zip(fetch, fetched, strict=True)}
    return {token.id: live_token(token, read.get(token.id, token.accesses)) for token in tokens}


def live_token(token: ServiceToken, accesses: Iterable[TokenAccess] | None) -> LiveToken:
    return LiveToken(
        id=token.id,
        name=token.name,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        accesses=None if accesses is None else access_map(_pairs(accesses)),
    )


def diffed_ids(config: Config, state: State, targets: Iterable[str] = ()) -> frozenset[str]:
    """IDs of the tokens whose accesses the planner compares."""
    wanted = set(targets) or set(config.tokens)
    return frozenset(
        record.id
        for key, record in state.tokens.items()
        if key in wanted and key in config.tokens and record.id is not None
    )


def _pairs(accesses: Iterable[TokenAccess]) -> Iterable[tuple[str | None, str]]:
    return ((a.database, a.access) for a in accesses)
