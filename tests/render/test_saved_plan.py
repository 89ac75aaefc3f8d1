"""A saved plan (`plan --out`) is compact, and reads back as the plan it was.

The trial's scenario: 20,000 tokens with two databases each wrote an 84 MiB
plan that `show` and `apply` then refused. Each operation list is now written
once (`operation_sets`), null fields left out, without indentation.
"""

from __future__ import annotations

import json

from benchmarks.saved_plan import large_plan
from pstokens.cli.planfile import MAX_PLAN_BYTES
from pstokens.engine.planning.plan import Plan
from pstokens.render.json import plan_document, render_saved


def test_a_plan_of_20000_tokens_with_two_databases_each_saves_under_16_mib() -> None:
    plan = large_plan(20_000)
    saved = render_saved(plan)
    assert len(saved) < 16 * 2**20 < MAX_PLAN_BYTES, len(saved)
    data = json.loads(saved)
    grants = [c for c in data["changes"] if c["action"] == "grant"]
    assert len(grants) == 40_000
    assert all(isinstance(c["allows"], int) for c in grants)
    assert len(data["operation_sets"]) < 5  # a handful of lists, each written once
    assert Plan.from_json(data) == plan


def test_a_saved_plan_holds_what_the_json_document_holds() -> None:
    plan = large_plan(3)
    data = json.loads(render_saved(plan))
    full = plan_document(plan)
    for saved, change in zip(data["changes"], full["changes"], strict=True):
        # PRODUCT.md's fields are always there, null or not.
        assert {"action", "key", "token_id", "database", "accesses", "reason"} <= set(saved)
        if change["action"] == "grant":
            assert data["operation_sets"][saved["allows"]] == change["allows"]
            assert change["allows"]
    assert Plan.from_json(data) == Plan.from_json(full) == plan
