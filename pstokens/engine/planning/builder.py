"""The plan while the planner makes it: what it has found so far, key by key.

Shared by the planner (`planner.py`) and the rules it applies to each key
(`replacing.py`), so each rule adds its changes and findings to one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pstokens.destinations import Destination
from pstokens.engine.planning.plan import Action, Change
from pstokens.engine.rules.findings import Drift, Skipped
from pstokens.engine.rules.rotation import Retiring
from pstokens.engine.rules.verifyplan import Chooser


@dataclass
class Builder:
    changes: list[Change] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    retiring: list[Retiring] = field(default_factory=list)
    # Keys this plan makes a new token for, gathered from `changes` as it grows
    # (`changes[:creates_seen]` read so far): `makes_new_token` asks once per key,
    # and rescanning every change each time made plans quadratic.
    creates: set[str] = field(default_factory=set)
    creates_seen: int = 0
    default_deliver: tuple[Destination, ...] | None = None
    # Token IDs PlanetScale's audit log reports leaked (engine/reading/leaks.py).
    leaked: frozenset[str] = frozenset()
    # How each new token will be verified, one choice per distinct access map.
    verification: Chooser = field(default_factory=Chooser)

    def makes_new_token(self, key: str) -> bool:
        """Whether the plan so far creates or replaces `key`: each change is read once."""
        for change in self.changes[self.creates_seen:]:
            if change.key is not None and change.action in (Action.CREATE, Action.REPLACE):
                self.creates.add(change.key)
        self.creates_seen = len(self.changes)
        return key in self.creates
