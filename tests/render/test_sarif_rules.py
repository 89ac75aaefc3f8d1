"""Every finding type the engine has is a SARIF rule with its help: the test walks the
enums, so a new member (a new rule, warning or escalation) fails here until it is described."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from enum import Enum
from types import ModuleType
from typing import Any

import pytest

from pstokens.config import parse_config
from pstokens.engine.inventory import escalation
from pstokens.engine.inventory.escalation import Escalation, EscalationKind
from pstokens.engine.inventory.report import Report, TokenRow
from pstokens.engine.planning.plan import Plan
from pstokens.engine.rules import findings, policies
from pstokens.engine.rules import guardrails as rules
from pstokens.engine.rules.findings import PlanWarning, WarningKind
from pstokens.engine.rules.guardrails import Rule, Unused, Violation
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind
from pstokens.render.sarif import (
    Result,
    document,
    render_plan_sarif,
    render_problems_sarif,
    render_report_sarif,
)
from pstokens.render.sarif_rules import RULES
from tests.sarif_schema import valid_sarif

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CONFIG = parse_config("organization: acme\ntokens:\n  ci:\n    ttl: 30d\n")

# The enums whose members are findings a person is shown, and what each renders through.
FINDING_ENUMS: tuple[type[Enum], ...] = (Rule, WarningKind, EscalationKind, PolicyKind)
# The engine's other enums of what a plan reports: changes to come, not findings.
# Not findings: what drifted, why a change was skipped, why a plan is unsafe, and
# whether the audit log could be read (a failed read is a plan note, not a rule).
NOT_FINDINGS = {"DriftKind", "SkipKind", "UnsafeKind", "LeakCheckStatus"}


def _violation(rule: Rule) -> Violation:
    return Violation(rule, "t1", "ci", "ci", "app", "read_branch", lifetime=90 * 86400,
                     limit=30 * 86400, operation="get_branch")


def _rendered(member: Enum) -> list[dict[str, Any]]:
    """The SARIF results of a plan or report holding one finding of `member`."""
    if isinstance(member, Rule):
        text = render_plan_sarif(Plan("acme", "l", 1, violations=(_violation(member),)), CONFIG)
    elif isinstance(member, WarningKind):
        warning = PlanWarning(member, "ci", ("t1",), NOW + timedelta(days=3))
        text = render_plan_sarif(Plan("acme", "l", 1, warnings=(warning,)), CONFIG)
    elif isinstance(member, EscalationKind):
        row = _row("t1", "ci", NOW, escalations=(Escalation(member, "t1", "ci", "ci"),))
        text = render_report_sarif(Report("acme", NOW, None, (row,), ()), CONFIG)
    elif isinstance(member, PolicyKind):  # its rule is the policy's package
        found = PolicyFinding(member, "pstokens.teams", "ci touches orders", "policy/t.rego")
        text = render_plan_sarif(Plan("acme", "l", 1, policies=(found,)), CONFIG)
    else:  # pragma: no cover - a new enum in FINDING_ENUMS needs a branch here
        raise AssertionError(f"no way to render {member!r}")
    results: list[dict[str, Any]] = valid_sarif(text)["runs"][0]["results"]
    return results


def _row(token_id: str, key: str | None, created: datetime, **extra: Any) -> TokenRow:
    return TokenRow(token_id, "ci", key, created, None, None, False, {}, **extra)


def test_every_enum_of_findings_is_listed_here() -> None:
    modules: tuple[ModuleType, ...] = (findings, rules, escalation, policies)
    enums = {name for module in modules for name, value in inspect.getmembers(module)
             if inspect.isclass(value) and issubclass(value, Enum)
             and value.__module__ == module.__name__}
    assert enums == {e.__name__ for e in FINDING_ENUMS} | NOT_FINDINGS


@pytest.mark.parametrize("member", [m for e in FINDING_ENUMS for m in e], ids=str)
def test_every_finding_type_renders_as_a_described_rule(member: Enum) -> None:
    [result] = _rendered(member)
    if isinstance(member, PolicyKind):  # described by `policy_rule`, under its package
        assert result["ruleId"] == "pstokens.teams"
        text = RULES.get(result["ruleId"])
        assert text is None
        found = PolicyFinding(member, "pstokens.teams", "ci touches orders", "policy/t.rego")
        log = valid_sarif(render_plan_sarif(Plan("acme", "l", 1, policies=(found,)), CONFIG))
    else:
        text = RULES.get(str(member)) or RULES.get(result["ruleId"])
        assert text is not None, f"{member!r} has no SARIF rule in render/sarif_rules.py"
        log = valid_sarif(render_problems_sarif("validate", []))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    rule = driver["rules"][result["ruleIndex"]]
    assert rule["id"] == result["ruleId"]
    assert rule["fullDescription"]["text"] and rule["help"]["text"]
    assert rule["fullDescription"]["text"] != rule["shortDescription"]["text"]


def test_a_finding_type_without_words_still_renders_under_a_generic_rule() -> None:
    unknown = Result("not_described_yet", "warning", "new", "p.yaml", 1, 1, ("x",))
    [run] = valid_sarif(document("plan", [unknown]))["runs"]
    [result] = run["results"]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == "not_described_yet" and rule["help"]["text"]


def _fingerprints(text: str) -> list[str]:
    return [r["partialFingerprints"]["pstokens/v1"]
            for r in valid_sarif(text)["runs"][0]["results"]]


def test_two_tokens_of_one_key_get_distinct_fingerprints_and_the_current_one_survives_a_replacement(
) -> None:
    from pstokens.engine.rules.rotation import Retiring

    old, new = (Violation(Rule.REQUIRE_TTL, t, "ci", "ci") for t in ("t1", "t2"))
    before = _fingerprints(render_plan_sarif(Plan("acme", "l", 1, violations=(old,)), CONFIG))
    during = _fingerprints(render_plan_sarif(Plan(
        "acme", "l", 2, violations=(old, new),
        retiring=(Retiring("ci", "t1", NOW + timedelta(days=1)),)), CONFIG))
    assert len(set(during)) == 2
    assert during[1] == before[0]  # the key's current token: the same alert

    rows = (_row("t1", "ci", NOW - timedelta(days=40), violations=(old,)),
            _row("t2", "ci", NOW, violations=(new,)))
    report = _fingerprints(render_report_sarif(Report("acme", NOW, None, rows, ()), CONFIG))
    alone = _fingerprints(render_report_sarif(Report("acme", NOW, None, rows[1:], ()), CONFIG))
    assert len(set(report)) == 2 and report[1] == alone[0]


def test_a_fingerprint_holds_no_time_and_no_managed_token_id() -> None:
    def plan(token_id: str, day: int) -> str:
        when = NOW + timedelta(days=day)
        return render_plan_sarif(Plan(
            "acme", "l", 1,
            violations=(Violation(Rule.MAX_TTL, token_id, "ci", "ci", lifetime=day * 86400,
                                  limit=86400),),
            unused=(Unused(token_id, "ci", "ci", when, when, 86400),),
            warnings=(PlanWarning(WarningKind.EXPIRES_SOON, "ci", (token_id,), when),)),
            CONFIG)

    assert _fingerprints(plan("t1", 3)) == _fingerprints(plan("t9", 5))


def test_each_operation_an_access_allows_is_its_own_result() -> None:
    two = tuple(Violation(Rule.FORBID_OPERATIONS, "t1", "ci", "ci", "app", "admin",
                          operation=op) for op in ("delete_branch", "delete_database"))
    assert len(set(_fingerprints(render_plan_sarif(Plan("acme", "l", 1, violations=two),
                                                   CONFIG)))) == 2


def test_no_policy_package_may_take_the_id_of_a_rule_of_pstokens() -> None:
    from pstokens.config.policies import RESERVED_PACKAGES
    from pstokens.engine.rules.policyread import READER_PACKAGE

    assert set(RULES) | {READER_PACKAGE} == RESERVED_PACKAGES
