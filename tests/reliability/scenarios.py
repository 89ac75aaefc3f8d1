"""Seeded random configurations, and the edits that turn one into the next.

The kill -9 and fault-injection suites draw their cases here, so a failing
seed can be replayed exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import yaml

DATABASES = ("app-prod", "app-staging", "analytics")
ORG_ACCESSES = ("read_databases", "read_audit_logs", "read_organization", "read_invoices")
DB_ACCESSES = (
    "read_branch", "create_branch", "delete_branch", "create_deploy_request", "connect_branch",
    "read_deploy_request",
)
TTLS = (None, None, 86400, 7 * 86400)
# Some keys keep a replaced token working for an hour (longer than any run, so
# none may be deleted during one), some deliver to their own folder. Chosen by
# key, not drawn, so every seed's sequence of draws stays what it was.
OVERLAP_KEYS = frozenset({"tok-0", "tok-3", "tok-6", "tok-9", "tok-10"})
DELIVER_KEYS = frozenset({"tok-1", "tok-3", "tok-5", "tok-10"})
DELIVER_DIR = "deliver/secrets"


@dataclass
class TokenWish:
    ttl: int | None = None
    accesses: dict[str | None, list[str]] = field(default_factory=dict)


@dataclass
class Scenario:
    org: str
    tokens: dict[str, TokenWish]
    policy: str = "report"

    def yaml(self) -> str:
        tokens: dict[str, object] = {}
        for key, wish in sorted(self.tokens.items()):
            body: dict[str, object] = {}
            if wish.ttl is not None:
                body["ttl"] = f"{wish.ttl}s"
            databases = {db: names for db, names in wish.accesses.items() if db is not None}
            accesses: dict[str, object] = {}
            if wish.accesses.get(None):
                accesses["organization"] = wish.accesses[None]
            if databases:
                accesses["databases"] = databases
            if accesses:
                body["accesses"] = accesses
            if key in OVERLAP_KEYS:
                body["overlap"] = "1h"
            if key in DELIVER_KEYS:
                body["deliver"] = [{"dir": DELIVER_DIR}]
            tokens[key] = body
        document = {
            "organization": self.org,
            "unmanaged": {"policy": self.policy},
            "safety": {"max_delete_percent": 100},
            "tokens": tokens,
        }
        return yaml.safe_dump(document, sort_keys=False)


def random_wish(rng: random.Random) -> TokenWish:
    accesses: dict[str | None, list[str]] = {}
    if rng.random() < 0.5:
        accesses[None] = sorted(rng.sample(ORG_ACCESSES, rng.randint(1, 2)))
    for db in rng.sample(DATABASES, rng.randint(0, len(DATABASES))):
        accesses[db] = sorted(rng.sample(DB_ACCESSES, rng.randint(1, 3)))
    return TokenWish(ttl=rng.choice(TTLS), accesses=accesses)


def random_scenario(rng: random.Random, org: str, keys: int | None = None) -> Scenario:
    count = rng.randint(1, 5) if keys is None else keys
    names = rng.sample([f"tok-{i}" for i in range(12)], count)
    return Scenario(org, {name: random_wish(rng) for name in names})


def evolve(rng: random.Random, before: Scenario) -> Scenario:
    """The next config: some keys dropped or added, accesses and ttls changed."""
    tokens: dict[str, TokenWish] = {}
    for key, wish in before.tokens.items():
        roll = rng.random()
        if roll < 0.2:
            continue  # removed: its token is deleted
        if roll < 0.45:
            tokens[key] = random_wish(rng)  # new accesses, maybe a new ttl (a replace)
        else:
            tokens[key] = wish
    free = [f"tok-{i}" for i in range(12) if f"tok-{i}" not in before.tokens]
    for key in rng.sample(free, rng.randint(0, 2)):
        tokens[key] = random_wish(rng)
    return Scenario(before.org, tokens, before.policy)
