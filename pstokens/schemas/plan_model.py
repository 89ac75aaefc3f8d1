"""A pydantic model of the JSON plan (`plan --format json`, and `plan --out` files).

The plan writer is `Plan.to_json` plus render/json.py; this model states that
document so `pstokens schema plan` can print its JSON Schema. Each change and
finding is modelled from the dataclass that writes it (`derive.mirror`), with the
words render/json.py adds (`reason`, `description`, `message`); the suite checks
every plan it writes against the schema (tests/plan_documents.py), so the two
cannot drift apart unnoticed. A saved plan writes `allows`, `denies` and `verify`
as indexes into `operation_sets` and `verifications`, and leaves out null fields:
both forms are described.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from pstokens import destinations as config
from pstokens.engine.planning import change, plan
from pstokens.engine.rules import findings, guardrails, leaseview, policies, rotation, verifyplan
from pstokens.schemas.derive import mirror

_INDEX = "an index into"

CommandDestination = mirror(config.CommandDestination, optional=("timeout", "stdin"))
DirDestination = mirror(config.DirDestination, renamed={"path": "dir"})
Destinations = list[CommandDestination | DirDestination] | None  # type: ignore[valid-type]
Retire = mirror(change.Retire, renamed={"retire_when_unused": "retire_when_unused_seconds"},
                optional=("retire_when_unused_seconds",))
Verify = mirror(verifyplan.Verification, title="Verify")


def _index(kind: Any, into: str) -> Any:
    return Annotated[kind | int | None, Field(description=f"{_INDEX} {into} when saved")]


Change = mirror(
    change.Change,
    types={"retire": Retire | None, "deliver": Destinations,
           "allows": _index(list[str], "operation_sets"),
           "denies": _index(list[str], "operation_sets"),
           "verify": _index(Verify, "verifications")},
    # A saved plan leaves these out when null (render/json.py), and each is written
    # only for the actions it concerns.
    optional=("cause", "ttl", "name", "previous_ttl", "retire", "deliver", "prevent_destroy",
              "verify", "allows", "denies"),
    added={"reason": str | None})
UnmanagedToken = mirror(findings.UnmanagedToken)
Drift = mirror(findings.Drift, added={"description": str})
Skipped = mirror(findings.Skipped, types={"cause": change.Cause | None},
                 added={"description": str})
Unsafe = mirror(findings.Unsafe, added={"message": str})
Violation = mirror(guardrails.Violation, added={"message": str})
PlanWarning = mirror(findings.PlanWarning, optional=("expires_at",), added={"message": str})
Unused = mirror(guardrails.Unused, added={"kind": Literal["unused"], "message": str})
Retiring = mirror(rotation.Retiring,
                  renamed={"retire_when_unused": "retire_when_unused_seconds"})
Lease = mirror(leaseview.LeaseView, title="Lease", dropped=("live",))
LeakCheck = mirror(findings.LeakCheck, added={"message": str | None})
PolicyResult = mirror(policies.PolicyFinding, title="PolicyResult")
Summary = create_model("Summary", __config__=ConfigDict(extra="forbid"),
                       **{name: (int, ...) for name in change.COUNTED})  # type: ignore[call-overload]


class StateRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lineage: str
    serial: int


class PlanDocument(BaseModel):
    """The plan `pstokens plan --format json` prints and `plan --out` saves."""

    model_config = ConfigDict(extra="forbid", title="pstokens plan")
    format_version: Literal[plan.FORMAT_VERSION]  # type: ignore[valid-type]
    layout: Literal[plan.LAYOUT]  # type: ignore[valid-type]
    organization: str
    state: StateRef
    targets: list[str]
    replace: list[str]
    config_digest: str | None
    default_deliver: Destinations
    config: dict[str, Any] | None = Field(description="what the config asked for, as plain data")
    removed: list[str]
    changes: list[Change]  # type: ignore[valid-type]
    unmanaged: list[UnmanagedToken]  # type: ignore[valid-type]
    drift: list[Drift]  # type: ignore[valid-type]
    skipped: list[Skipped]  # type: ignore[valid-type]
    unsafe: list[Unsafe] | None  # type: ignore[valid-type]
    violations: list[Violation]  # type: ignore[valid-type]
    warnings: list[PlanWarning | Unused]  # type: ignore[valid-type]
    retiring: list[Retiring]  # type: ignore[valid-type]
    leases: list[Lease]  # type: ignore[valid-type]
    leak_check: LeakCheck  # type: ignore[valid-type]
    summary: Summary
    operation_sets: list[list[str]] | None = Field(None, description="saved plans only")
    verifications: list[list[str | None]] | None = Field(None, description="saved plans only")
    policies: list[PolicyResult] | None = Field(  # type: ignore[valid-type]
        None, description="rules.policies' findings, present only when there are some")
