"""A small, realistic organization for first-use demos of the emulator.

A new user should meet what a real organization looks like before pstokens:
a few tokens made by hand, for `export`, `import` and unmanaged reports, and
some long unused, so `pstokens report` has stale tokens to show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pstokens.emulator.store import EmulatorStore

DEMO_DATABASES: tuple[str, ...] = ("app-prod", "app-staging", "analytics")

_DAY = 24 * 3600

# (name, age in days, ttl in days or None, organization accesses, {database: accesses})
_HANDMADE: tuple[tuple[str, int, int | None, tuple[str, ...], dict[str, tuple[str, ...]]], ...] = (
    (
        "legacy-admin",
        420,
        None,
        (
            "read_organization",
            "read_databases",
            "read_service_tokens",
            "write_service_tokens",
            "delete_service_tokens",
        ),
        {},
    ),
    ("laptop-debug", 12, 30, (), {"app-staging": ("read_branch", "connect_branch")}),
    (
        "analytics-export",
        95,
        None,
        (),
        {"analytics": ("read_branch", "connect_production_read_only_branch")},
    ),
)

# Days since each was last used; a token not listed was never used.
_LAST_USED_DAYS_AGO = {"legacy-admin": 200, "laptop-debug": 1}


def seed_demo(store: EmulatorStore, org: str) -> None:
    """Give `org` the hand-made tokens above; does nothing if it has any token."""
    if store.token_count(org):
        return
    now = datetime.now(UTC)
    for name, age_days, ttl_days, org_accesses, db_accesses in _HANDMADE:
        token, _secret = store.create_token(
            org,
            name,
            ttl_days * _DAY if ttl_days else None,
            created_at=now - timedelta(days=age_days),
        )
        if org_accesses:
            store.grant(org, token["id"], org_accesses)
        for database, accesses in db_accesses.items():
            store.grant(org, token["id"], accesses, database)
        if name in _LAST_USED_DAYS_AGO:
            used = now - timedelta(days=_LAST_USED_DAYS_AGO[name])
            store.set_times(org, token["id"], last_used_at=used)
