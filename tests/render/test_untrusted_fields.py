"""Every field a view shows is untrusted: a saved plan is a file anyone could write,
and token names come from anyone who can create tokens.

Each view escapes every field (keys and IDs too), no name starts a line, the
Markdown makes no link of a URL in a name, apply's step lines say which token,
and the report's text wraps between words, never inside a word or an escape.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click

from pstokens.engine.inventory.report import build_report
from pstokens.engine.planning.outcome import Outcome, Status
from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.engine.rules.findings import (
    Drift,
    DriftKind,
    PlanWarning,
    SkipKind,
    Skipped,
    UnmanagedToken,
    Unsafe,
    UnsafeKind,
    WarningKind,
)
from pstokens.engine.rules.guardrails import Rule, Unused, Violation
from pstokens.engine.rules.live import LiveToken
from pstokens.engine.rules.rotation import Retiring
from pstokens.render import render_markdown, render_text
from pstokens.render.apply import outcome_line
from pstokens.render.escape import key, markdown, name
from pstokens.render.report_text import render_report_text
from pstokens.state import State

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OSC = "x\x1b]0;pwned\x07"  # sets the terminal's title, then rings
FAKE = "- prod-deploy  id abc123def456"  # reads like a delete line


def hostile_plan(text: str) -> Plan:
    """A plan with `text` in every string field a view could show."""
    return Plan(
        organization=text, lineage=text, serial=1,
        changes=Plan.ordered([
            Change(Action.CREATE, text, None, name=text, cause=Cause.NEW),
            Change(Action.GRANT, text, text, text, (text,)),
            Change(Action.REVOKE, text, text, None, (text,)),
            Change(Action.DELETE, text, text, name=text, cause=Cause.REMOVED),
            Change(Action.DELETE, None, text, name=text, cause=Cause.UNMANAGED),
        ]),
        unmanaged=(UnmanagedToken(text, text),),
        drift=(Drift(text, text, DriftKind.GRANTED, text, text),),
        skipped=(Skipped(text, text, SkipKind.DELETE),),
        unsafe=(Unsafe(UnsafeKind.DELETES_NAMESAKE, key=text, token_id=text),),
        warnings=(PlanWarning(WarningKind.NAMESAKE, text, (text,)),
                  PlanWarning(WarningKind.EXPIRES_SOON, text, (text,), NOW)),
        retiring=(Retiring(text, text, NOW),),
        violations=(Violation(Rule.FORBID_ACCESSES, text, text, text, text, text),),
        unused=(Unused(text, text, text, None, NOW, 86400),),
    )


def test_show_of_a_plan_with_an_escape_in_every_field_prints_none_raw() -> None:
    plan = hostile_plan(OSC)
    text, page = click.unstyle(render_text(plan)), render_markdown(plan)
    for view in (text, page):
        assert "\x1b" not in view and "\x07" not in view
    assert text.count("x\\x1b]0;pwned\\x07") > 20  # each field, shown escaped
    assert page.count("x\\\\x1b\\]0;pwned\\\\x07") > 20  # Markdown escapes the \\ too


def test_no_name_or_key_starts_a_line_of_the_plan_text() -> None:
    text = click.unstyle(render_text(hostile_plan(FAKE)))
    lines = [line.strip() for line in text.splitlines()]
    assert not [line for line in lines if line.startswith(FAKE)]
    # A key that is not a plain word (only a saved plan can hold one) is quoted too.
    assert f'+ "{FAKE}"' in lines
    assert f'"{FAKE}"  id "{FAKE}"' not in lines  # IDs are escaped, not quoted
    assert f'"{FAKE}"  id {FAKE}' in lines  # the unmanaged token: name quoted


def test_names_are_quoted_unambiguously_and_plain_keys_stay_bare() -> None:
    assert name('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    assert name("a\nb") == '"a\\x0ab"'
    assert name(None) == "(no name)" and name("(no name)") == '"(no name)"'
    assert key("ci-deploy.prod_1") == "ci-deploy.prod_1"
    assert key("-") == '"-"' and key("two words") == '"two words"'


def test_apply_step_lines_name_the_token_and_quote_unmanaged_names() -> None:
    delete = Change(Action.DELETE, "ci", "tok1", name="ci", cause=Cause.REMOVED)
    grant = Change(Action.GRANT, "ci", None, "app-prod", ("read_branch",))
    org_grant = Change(Action.GRANT, "ci", "tok1", None, ("read_databases",))
    stranger = Change(Action.DELETE, None, "tok9", name=FAKE, cause=Cause.UNMANAGED)
    create = Change(Action.CREATE, "ci", None, name="ci", cause=Cause.NEW)
    assert outcome_line(Outcome(delete, Status.DONE, "tok1")) == "ci [tok1]: deleted"
    assert outcome_line(Outcome(grant, Status.DONE, "tok2")) == "ci [tok2] on app-prod: granted"
    assert outcome_line(Outcome(org_grant, Status.DONE, "tok1")) == \
        "ci [tok1] on the organization: granted"
    assert outcome_line(Outcome(stranger, Status.DONE, "tok9")) == f'"{FAKE}" [tok9]: deleted'
    assert outcome_line(Outcome(create, Status.DONE, "tok2", delivered_to=("dir x",))) == \
        "ci: created tok2, verified, secret delivered to dir x"


def test_markdown_makes_no_link_of_a_url_or_address_in_a_name() -> None:
    cell = markdown("see https://evil.example/login, www.evil.example or ops@evil.example")
    # GFM links `scheme://` (found at the `:`), `www.` and `local@domain` by itself.
    assert "://" not in cell and "www." not in cell
    assert re.search(r"@[A-Za-z0-9]", cell) is None
    assert "https&#58;//evil.example/login" in cell and "&#119;ww.evil.example" in cell
    assert "ops@&#8203;evil.example" in cell


def test_the_report_text_wraps_between_words_never_inside_one_or_an_escape() -> None:
    long_name = "a-rather-long-token-name-that-is-one-word\x1b[2J"
    report = build_report("acme", [
        LiveToken("t1", long_name, NOW, None, {"app-prod": frozenset({"create_deploy_request"})}),
        LiveToken("t2", FAKE, NOW, None, {}),
    ], State.new("acme"), None, NOW)
    text = click.unstyle(render_report_text(report, 60))
    assert '"a-rather-long-token-name-that-is-one-word\\x1b[2J"' in text
    assert "create_deploy_request" in text
    lines = [line.strip() for line in text.splitlines()]
    assert not [line for line in lines if line.startswith(FAKE)]
    assert [line for line in lines if line.startswith(f'"{FAKE}"')]
