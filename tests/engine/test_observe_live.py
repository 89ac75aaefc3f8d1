"""A list item becomes the planner's LiveToken exactly as the constructor would make it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from pstokens.api.listing import ListedAccess, ListedToken, _Resource
from pstokens.engine.reading.observe import live_token
from pstokens.engine.rules.live import LiveToken

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_listed_token_becomes_the_live_token_the_constructor_makes() -> None:
    accesses = (
        ListedAccess("read_branch", flat_type="Database", flat_name="app-prod"),
        ListedAccess("create_branch", resource=_Resource("Database", "app-prod")),
        ListedAccess("read_databases", flat_type="Organization", flat_name="acme"),
    )
    listed = ListedToken("a1", "ci", created_at=AT, expires_at=AT, last_used_at=AT,
                         embedded=accesses)

    made = live_token(listed, listed.accesses)

    assert made == LiveToken("a1", "ci", AT, AT,
                             {"app-prod": frozenset({"read_branch", "create_branch"}),
                              None: frozenset({"read_databases"})}, AT)
    assert repr(made) == repr(LiveToken(**{f.name: getattr(made, f.name)
                                           for f in dataclasses.fields(LiveToken)}))
    assert live_token(ListedToken("a2"), None) == LiveToken("a2", None)
