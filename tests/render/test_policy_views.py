"""A plan's policy findings in every view a person reads: the summary line counts
them, the Markdown view (job summary, PR comment) lists them escaped and within its
cap, and a plan differing only by denies notifies `violations`, not `drift`."""

from __future__ import annotations

from pstokens.engine.planning.plan import Plan
from pstokens.engine.rules.policies import PolicyFinding, PolicyKind
from pstokens.notify.events import plan_events
from pstokens.render.markdown import LIMIT, render_markdown
from pstokens.render.notice import plan_notices
from pstokens.render.text import render_text


def plan(*findings: PolicyFinding) -> Plan:
    return Plan("acme", "l", 1, config={"tokens": {}}, policies=findings)


def deny(message: str) -> PolicyFinding:
    return PolicyFinding(PolicyKind.DENY, "pstokens.teams", message, "policy/teams.rego")


WARN = PolicyFinding(PolicyKind.WARN, "pstokens.ttl", "ci <b>lives</b> long", "policy/ttl.rego")


def test_the_summary_line_counts_policy_violations() -> None:
    last = render_text(plan(deny("a"), deny("b"), WARN)).splitlines()[-1]
    assert last.endswith("to revoke; 2 policy violations.")


def test_markdown_lists_denies_and_warns_escaped() -> None:
    page = render_markdown(plan(deny("x | y\n<script>[link](http://e.example)"), WARN))
    assert "### Policy violations (1)" in page
    assert ("| pstokens.teams | policy/teams.rego | x \\| y\\\\x0a&lt;script&gt;\\[link\\]"
            "(http&#58;//e.example) |") in page
    assert "| policy pstokens.ttl: ci &lt;b&gt;lives&lt;/b&gt; long |" in page
    assert "1 policy violation." in page


def test_markdown_stays_under_its_cap_however_many_denies() -> None:
    page = render_markdown(plan(*(deny(f"token {i} " + "x" * 200) for i in range(2000))))
    assert len(page) < LIMIT
    assert "rows cut to stay under" in page


def test_a_plan_differing_only_by_denies_notifies_violations_not_drift() -> None:
    denied = plan(deny("ci may not hold delete_production_branch"))
    assert [str(e) for e in plan_events(denied)] == ["violations"]
    [notice] = plan_notices(denied)
    assert "differs from the configuration" not in notice.text
    assert "1 policy violation in the plan" in notice.text
