"""A pydantic model of the JSON plan (`plan --format json`, and `plan --out` files).

The plan writer is `Plan.to_json` plus render/json.py; this model states that
document so `pstokens schema plan` can print its JSON Schema, and the e2e suite
validates every plan it makes against the schema (tests/e2e/test_plan_schema.py),
so the two cannot drift apart unnoticed. A saved plan writes `allows`, `denies`
and `verify` as indexes into `operation_sets` and `verifications`, and leaves out
null fields: both forms are described.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pstokens.engine.planning.plan import FORMAT_VERSION, Action, Cause

_INDEX = "an index into"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    """An entry whose fields depend on its kind: the common ones are stated."""

    model_config = ConfigDict(extra="allow")


class StateRef(_Closed):
    lineage: str
    serial: int


class CommandDestination(_Closed):
    command: str
    timeout: int | None = None
    stdin: Literal["env", "json"] | None = None


class DirDestination(_Closed):
    dir: str


class Retire(_Closed):
    token_id: str
    overlap_seconds: int
    retire_when_unused_seconds: int | None = None


class Verify(_Closed):
    operation: str
    database: str | None


class Change(_Closed):
    action: Action
    key: str | None
    token_id: str | None
    database: str | None
    accesses: list[str]
    reason: str | None
    cause: Cause | None = None
    ttl: int | None = None
    name: str | None = None
    previous_ttl: int | None = None
    retire: Retire | None = None
    deliver: list[CommandDestination | DirDestination] | None = None
    prevent_destroy: bool | None = None
    verify: Verify | int | None = Field(None, description=f"{_INDEX} verifications when saved")
    allows: list[str] | int | None = Field(None, description=f"{_INDEX} operation_sets when saved")
    denies: list[str] | int | None = Field(None, description=f"{_INDEX} operation_sets when saved")


class Described(_Open):
    kind: str | None = None
    key: str | None = None
    token_id: str | None = None


class LeakCheck(_Open):
    status: str
    leaked: list[str]
    detail: str | None
    message: str | None = None


class PolicyResult(_Closed):
    """A string of a policy's `deny` or `warn` set."""

    kind: Literal["deny", "warn"]
    package: str
    message: str
    file: str


class PlanDocument(_Closed):
    """The plan `pstokens plan --format json` prints and `plan --out` saves."""

    model_config = ConfigDict(extra="forbid", title="pstokens plan")
    format_version: Literal[FORMAT_VERSION]  # type: ignore[valid-type]
    organization: str
    state: StateRef
    targets: list[str]
    replace: list[str]
    config_digest: str | None
    default_deliver: list[CommandDestination | DirDestination] | None
    config: Any = Field(description="what the config asked for, as plain data")
    removed: list[str]
    changes: list[Change]
    unmanaged: list[Described]
    drift: list[Described]
    skipped: list[Described]
    unsafe: list[Described] | None
    violations: list[Described]
    warnings: list[Described]
    retiring: list[Described]
    leases: list[Described]
    leak_check: LeakCheck
    summary: dict[str, int]
    operation_sets: list[list[str]] | None = Field(None, description="saved plans only")
    verifications: list[list[str | None]] | None = Field(None, description="saved plans only")
    policies: list[PolicyResult] | None = Field(
        None, description="rules.policies' findings, present only when there are some")
