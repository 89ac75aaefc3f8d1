"""The emulator's records and the small rules for their IDs and times.

Kept apart from the store so that persistence and the JSON shapes can read
records without importing the store that writes them.
"""

from __future__ import annotations

import functools
import hashlib
import random
import string
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, datetime

ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 12
ORGANIZATION = "Organization"
DATABASE = "Database"


@dataclass(frozen=True)
class Resource:
    """An organization or a database that accesses point at."""

    id: str
    name: str
    type: str  # ORGANIZATION or DATABASE
    created_at: datetime


@dataclass(frozen=True)
class Access:
    """One access a token holds; `database` None means organization level."""

    id: str
    access: str
    database: str | None
    created_at: datetime


@dataclass
class Token:
    """A service token as the emulator keeps it: a hash of its secret, never the secret."""

    id: str
    name: str | None
    secret_sha256: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    accesses: list[Access] = field(default_factory=list)

    def holds(self, access: str, database: str | None) -> bool:
        return any(a.access == access and a.database == database for a in self.accesses)


def utc_now() -> datetime:
    return truncate(datetime.now(UTC))


def truncate(moment: datetime) -> datetime:
    """Drop sub-millisecond digits: the API shows milliseconds, and a saved
    store must read back equal to what it served."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_time(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with milliseconds and `Z`, as the API writes it."""
    return None if moment is None else _format(moment)


@functools.lru_cache(maxsize=65536)
def _format(moment: datetime) -> str:
    # A token's few timestamps are formatted on every list page: cache them.
    moment = truncate(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """Read an ISO-8601 time; one without a zone is taken to be UTC."""
    return truncate(datetime.fromisoformat(text))


def new_id(rng: random.Random, taken: Container[str]) -> str:
    """A fresh 12-character ID, unique among `taken`.

    IDs are not secrets, so a seeded generator is fine and makes runs
    reproducible; the loop only matters for a store reloaded under the same seed.
    """
    while True:
        candidate = "".join(rng.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
        if candidate not in taken:
            return candidate


def stable_id(kind: str, name: str) -> str:
    """An ID derived from a name, so the same database always has the same ID."""
    number = int.from_bytes(hashlib.sha256(f"{kind}:{name}".encode()).digest()[:16], "big")
    chars = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, len(ID_ALPHABET))
        chars.append(ID_ALPHABET[digit])
    return "".join(chars)
