"""A plan as a value: ordered changes plus what was seen, saved and loaded as JSON.

The changes themselves (`Change`, its `Action` and typed `Cause`) live in
`change.py`; they are named here too, where most callers import them. The JSON
here is machine data only: the renderers add the words (`reason`,
`description`, `message`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pstokens.destinations import Destination
from pstokens.engine.planning.change import (
    Action,
    Cause,
    Change,
    Retire,
    deliver_from_json,
    deliver_to_json,
    tally,
)
from pstokens.engine.rules.findings import (
    NOT_CHECKED,
    Drift,
    DriftKind,
    LeakCheck,
    PlanWarning,
    SkipKind,
    Skipped,
    UnmanagedToken,
    Unsafe,
    UnsafeKind,
    WarningKind,
)
from pstokens.engine.rules.guardrails import Unused, Violation
from pstokens.engine.rules.leaseview import LeaseView
from pstokens.engine.rules.plancheck import (
    checked_deliver,
    checked_plan_fields,
    checked_top,
    entries,
    operation_sets,
)
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind
from pstokens.engine.rules.rotation import Retiring
from pstokens.errors import PlanError

__all__ = [
    "FORMAT_VERSION", "LAYOUT", "Action", "Cause", "Change", "Plan", "Retire",
    "deliver_from_json", "deliver_to_json", "tally",
]

# The version of the document PRODUCT.md promises scripts: its fields keep their
# meaning; new ones are only ever added. Plans of pstokens before `layout` wrote
# their layout here (2 to 4), so a missing `layout` is an older pstokens.
FORMAT_VERSION = 1
# The layout pstokens reads a saved plan back in; another one is refused.
# 2: replace changes carry `retire`, create and replace carry `deliver` and
# `prevent_destroy`, and the plan records `removed` keys and its `config`.
# 3: a saved plan may write a grant's `allows` (a revoke's `denies`) as an index
# into its `operation_sets`, each distinct list once, and leave null fields out.
# 4: create and replace carry `verify`, the call that verifies the new token.
LAYOUT = 4


def _reader(resolve: Callable[[dict[str, Any]], dict[str, Any]]
            ) -> Callable[[dict[str, Any]], Change]:
    return lambda data: Change.from_json(resolve(data))


_WARNING_KINDS = (*(str(k) for k in WarningKind), "unused")


def _warning(data: dict[str, Any]) -> PlanWarning | Unused:
    """A saved warning: the rules' unused-token finding, or a plan warning."""
    return Unused.from_json(data) if data.get("kind") == "unused" else PlanWarning.from_json(data)


@dataclass(frozen=True)
class Plan:
    organization: str
    lineage: str
    serial: int
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[UnmanagedToken, ...] = ()
    drift: tuple[Drift, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unsafe: tuple[Unsafe, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    # Replaced tokens kept working by `overlap` or `retire_when_unused`: expected,
    # so not a difference (a stuck one is a warning, `rotation_stuck`).
    retiring: tuple[Retiring, ...] = ()
    # `rules:` findings on live tokens, managed or not: violations make the plan
    # differ; unused tokens are warnings (saved among `warnings`, kind "unused").
    violations: tuple[Violation, ...] = ()
    unused: tuple[Unused, ...] = ()
    # Live leases (`pstokens exec`): listed, not unmanaged, not drift, not a difference.
    leases: tuple[LeaseView, ...] = ()
    # What the plan was made from: a saved plan is applied only against the same.
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    config_digest: str | None = None
    # Where the secrets of new tokens without `deliver:` go, as resolved when the plan
    # was made (the flags, or the default folder); each such change carries them too.
    default_deliver: tuple[Destination, ...] | None = None
    # Keys in state that left the config: apply forgets them once their tokens go.
    removed: tuple[str, ...] = ()
    # What the config asked for, as plain data: a stale saved plan names what changed.
    config: Any = field(default=None, compare=False)
    # Key -> live tokens bearing that key's name, not pstokens', seen when planning a
    # create: apply records them so a lost create is never matched to one. Not saved:
    # apply always acts on a fresh plan.
    namesakes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    # What the audit log said (engine/reading/leaks.py): the leaked IDs, or why it was not read.
    leak_check: LeakCheck = NOT_CHECKED
    # `rules.policies`' findings on this plan's document: a deny makes the plan differ.
    policies: tuple[PolicyFinding, ...] = ()

    @staticmethod
    def ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
        return tuple(sorted(changes, key=Change.sort_key))

    @property
    def has_changes(self) -> bool:
        """Whether apply has anything to do (API calls or state-only updates)."""
        return bool(self.changes)

    @property
    def differs(self) -> bool:
        """Whether anything at all differs: what `--detailed-exitcode` exits 2 for."""
        return bool(self.changes or self.skipped or self.unmanaged or self.drift
                    or self.violations or self.denied)

    @property
    def denied(self) -> tuple[PolicyFinding, ...]:
        """The policies' violations (their `deny` strings)."""
        return tuple(f for f in self.policies if f.kind is PolicyKind.DENY)

    def summary(self) -> dict[str, int]:
        return tally(self.changes)

    def comparable(self) -> list[dict[str, Any]]:
        """What a fresh plan must match for a saved one to still be applied."""
        return [c.to_json() for c in self.changes]

    def deliveries(self) -> dict[str, tuple[Destination, ...]]:
        """Key -> its own `deliver:` destinations, for the tokens this plan makes."""
        return {c.key: c.deliver for c in self.changes
                if c.makes_token and c.key is not None and c.deliver is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "layout": LAYOUT,
            "organization": self.organization,
            "state": {"lineage": self.lineage, "serial": self.serial},
            "targets": list(self.targets),
            "replace": list(self.replace),
            "config_digest": self.config_digest,
            "default_deliver": deliver_to_json(self.default_deliver),
            "config": self.config,
            "removed": list(self.removed),
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [u.to_json() for u in self.unmanaged],
            "drift": [d.to_json() for d in self.drift],
            "skipped": [s.to_json() for s in self.skipped],
            "unsafe": [u.to_json() for u in self.unsafe] or None,
            "violations": [v.to_json() for v in self.violations],
            "warnings": [w.to_json() for w in self.warnings] + [u.to_json() for u in self.unused],
            "retiring": [r.to_json() for r in self.retiring],
            "leases": [v.to_json() for v in self.leases],
            "leak_check": self.leak_check.to_json(),
            "summary": self.summary(),
        } | ({"policies": [f.to_json() for f in self.policies]} if self.policies else {})

    @classmethod
    def from_json(cls, data: Any, *, source: str = "plan") -> Plan:
        checked_plan_fields(data, source, FORMAT_VERSION, LAYOUT)
        try:
            checked_top(data)
            warnings = entries(data, "warnings", _warning, _WARNING_KINDS)
            plan = cls(
                organization=data["organization"],
                lineage=data["state"]["lineage"],
                serial=data["state"]["serial"],
                changes=entries(data, "changes", _reader(operation_sets(data))),
                unmanaged=entries(data, "unmanaged", UnmanagedToken.from_json),
                drift=entries(data, "drift", Drift.from_json, DriftKind),
                skipped=entries(data, "skipped", Skipped.from_json, SkipKind),
                unsafe=entries(data, "unsafe", Unsafe.from_json, UnsafeKind),
                warnings=tuple(w for w in warnings if isinstance(w, PlanWarning)),
                violations=entries(data, "violations", Violation.from_json),
                unused=tuple(w for w in warnings if isinstance(w, Unused)),
                retiring=entries(data, "retiring", Retiring.from_json),
                leases=entries(data, "leases", LeaseView.from_json),
                targets=tuple(str(t) for t in data.get("targets") or []),
                replace=tuple(str(t) for t in data.get("replace") or []),
                config_digest=data.get("config_digest"),
                default_deliver=deliver_from_json(checked_deliver(data.get("default_deliver"))),
                removed=tuple(str(k) for k in data.get("removed") or []),
                config=data.get("config"),
                leak_check=LeakCheck.from_json(data.get("leak_check")),
                policies=entries(data, "policies", PolicyFinding.from_json, PolicyKind),
            )
        except PlanError as exc:
            raise PlanError(f"{source} is damaged: {exc.message}",
                            hint="save a new one with `pstokens plan --out FILE`") from None
        if plan.changes != cls.ordered(plan.changes):
            raise PlanError(f"{source} has its changes out of order; it was edited by hand")
        return plan
