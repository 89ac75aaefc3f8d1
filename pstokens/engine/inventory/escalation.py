"""Escalation paths: accesses that let a token gain more than they name.

`write_service_tokens` lets a token make new tokens, with up to its own accesses;
`create_databases` gives it full access to each database it creates. A report
names every live token holding either, managed or not; render/ words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pstokens.engine.rules.live import LiveToken


class EscalationKind(StrEnum):
    """The access that opens the path (its value is the access name)."""

    WRITE_SERVICE_TOKENS = "write_service_tokens"
    CREATE_DATABASES = "create_databases"


@dataclass(frozen=True)
class Escalation:
    path: EscalationKind
    token_id: str
    name: str | None
    key: str | None  # the managed key; None for a token pstokens does not manage
    database: str | None = None  # where the access is held; None: the organization

    def to_json(self) -> dict[str, Any]:
        return {"kind": "escalation", "access": str(self.path), "token_id": self.token_id,
                "name": self.name, "key": self.key, "database": self.database}


def escalations(token: LiveToken, key: str | None) -> tuple[Escalation, ...]:
    """The escalation paths `token` holds, in a fixed order."""
    found: list[Escalation] = []
    for database, names in sorted((token.accesses or {}).items(), key=lambda i: i[0] or ""):
        found.extend(Escalation(path, token.id, token.name, key, database)
                     for path in EscalationKind if str(path) in names)
    return tuple(found)
