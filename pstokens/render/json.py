"""The JSON view of a plan: the plan's own data plus the words people read.

`Plan.to_json` is machine data (typed causes and kinds); this adds `reason`
to each change, `description` to drift and skips, `message` to warnings and
unsafe findings, from `words`, so scripts and people see the same thing. A
saved plan file is this document; loading it reads the data and ignores the words.
"""

from __future__ import annotations

import json
from typing import Any

from pstokens.engine.planning.arguments import check_plan
from pstokens.engine.planning.plan import Plan
from pstokens.render import rules, words


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data, each change with its reason in words."""
    check_plan(plan, "plan_document's plan")
    data = plan.to_json()
    for item, change in zip(data["changes"], plan.changes, strict=True):
        item["reason"] = words.reason(change) or None
    for item, drift in zip(data["drift"], plan.drift, strict=True):
        item["description"] = words.drift(drift, _plain)
    for item, skip in zip(data["skipped"], plan.skipped, strict=True):
        item["description"] = words.skipped(skip)
    for item, warning in zip(data["warnings"][:len(plan.warnings)], plan.warnings, strict=True):
        item["message"] = words.warning(warning, _plain)
    for item, unsafe in zip(data["unsafe"] or [], plan.unsafe, strict=True):
        item["message"] = words.unsafe(unsafe, _plain)
    for item, violation in zip(data["violations"], plan.violations, strict=True):
        item["message"] = rules.violation_text(violation)
    check = plan.leak_check
    data["leak_check"]["message"] = (words.leak_note(check, _plain)
                                     or words.leak_warning(check, _plain))
    unused = data["warnings"][len(plan.warnings):]
    for item, idle in zip(unused, plan.unused, strict=True):
        item["message"] = rules.unused_warning(idle)
    return data


def render_json(plan: Plan) -> str:
    """The plan as indented JSON (`pstokens plan --format json`)."""
    return json.dumps(plan_document(plan), indent=2) + "\n"


# Fields a saved change leaves out when null: loading reads them back as null. The
# rest (action, key, token_id, database, accesses, reason) are always written.
_OMITTED_WHEN_NULL = ("cause", "ttl", "name", "previous_ttl", "retire", "deliver", "verify")


def render_saved(plan: Plan) -> bytes:
    """The plan as `plan --out` saves it: the same document as `--format json`,
    written compactly. Each distinct list of operations a grant allows (or a revoke
    denies) is written once, in `operation_sets`, and the change's `allows` or
    `denies` is its index there: 20,000 tokens of two grants each share a handful
    of lists rather than repeating 40,000 of them (docs/plans.md, "Saved plans").
    Each new token's `verify` is likewise an index into `verifications`."""
    data = plan_document(plan)
    sets: dict[tuple[str, ...], int] = {}
    checks: dict[tuple[str, str | None], int] = {}
    for item in data["changes"]:
        verify = item.get("verify")
        if isinstance(verify, dict):
            item["verify"] = checks.setdefault((verify["operation"], verify["database"]),
                                               len(checks))
        for name in ("allows", "denies"):
            operations = item.get(name)
            if operations is not None:
                item[name] = sets.setdefault(tuple(operations), len(sets))
        for name in _OMITTED_WHEN_NULL:
            if name in item and item[name] is None:
                del item[name]
        if item.get("prevent_destroy") is False:
            del item["prevent_destroy"]
    data["operation_sets"] = [list(s) for s in sets]
    if checks:
        data["verifications"] = [list(c) for c in checks]
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


def _plain(text: str | None) -> str:
    return text or ""  # JSON escapes what it must by itself
