"""Each change and finding a plan holds, with every field set or not, is written as the
plan schema states it: its `to_json` (plus the words render/json.py adds) fits the
schema's definition made from the same dataclass (pstokens/schemas/derive.py), and a
wrong field, a key too many or one missing does not."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pstokens.destinations import ENV_REFERENCE, CommandDestination, DirDestination
from pstokens.engine.planning.plan import Cause, Change, Retire
from pstokens.engine.rules import findings, guardrails, leaseview, policies, rotation, verifyplan
from pstokens.schemas import generate

DEFS = generate("plan")["$defs"]
# dataclass -> (its definition in the plan schema, the words render/json.py adds)
ITEMS: dict[type, tuple[str, dict[str, Any]]] = {
    Change: ("Change", {"reason": "create"}),
    Retire: ("Retire", {}),
    verifyplan.Verification: ("Verify", {}),
    findings.UnmanagedToken: ("UnmanagedToken", {}),
    findings.Drift: ("Drift", {"description": "words"}),
    findings.Skipped: ("Skipped", {"description": "words"}),
    findings.Unsafe: ("Unsafe", {"message": "words"}),
    findings.PlanWarning: ("PlanWarning", {"message": "words"}),
    findings.LeakCheck: ("LeakCheck", {"message": None}),
    guardrails.Violation: ("Violation", {"message": "words"}),
    guardrails.Unused: ("Unused", {"message": "words"}),
    rotation.Retiring: ("Retiring", {}),
    leaseview.LeaseView: ("Lease", {}),
    policies.PolicyFinding: ("PolicyResult", {}),
}


# Destinations refuse what could never deliver (blank, NUL, a bad timeout) when made.
_TEXT = st.text(st.characters(blacklist_characters="\x00"), min_size=1).filter(str.strip)
# A folder is also written out: no leading `~`, nothing a shell would expand.
_FOLDER = _TEXT.filter(lambda p: not p.startswith("~") and not ENV_REFERENCE.search(p))
st.register_type_strategy(DirDestination, st.builds(DirDestination, path=_FOLDER))
st.register_type_strategy(CommandDestination, st.builds(
    CommandDestination, command=_TEXT, stdin=st.sampled_from(["env", "json"]) | st.none(),
    timeout=st.none() | st.integers(min_value=1, max_value=86_400)))


def validator(name: str) -> Any:
    return jsonschema_rs.validator_for({"$ref": f"#/$defs/{name}", "$defs": DEFS})


def every_field(cls: type) -> st.SearchStrategy[Any]:
    """`cls` with each of its fields drawn, defaults included (`st.builds` skips them)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: st.from_type(hints[f.name]) for f in dataclasses.fields(cls)}
    if cls is findings.Skipped:  # a Cause value, kept as a string below plan.py
        fields["cause"] = st.none() | st.sampled_from([str(c) for c in Cause])
    return st.builds(cls, **fields)


def written(item: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(item.to_json()))
    return document | ITEMS[type(item)][1]


@pytest.mark.parametrize("cls", ITEMS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_item_fits_its_definition(cls: type, data: st.DataObject) -> None:
    item = data.draw(every_field(cls))
    document = written(item)
    check = validator(ITEMS[cls][0])
    assert [e.message for e in check.iter_errors(document)] == [], document
    assert not check.is_valid(document | {"surprise": 1})
    first = next(iter(document))
    assert not check.is_valid(document | {first: {"wrong": "type"}})


@pytest.mark.parametrize("cls", ITEMS, ids=lambda c: c.__name__)
def test_a_key_the_writer_always_writes_is_required(cls: type) -> None:
    required = set(DEFS[ITEMS[cls][0]].get("required", []))
    assert required, cls  # each item states what it always holds
    assert required <= set(DEFS[ITEMS[cls][0]]["properties"])
