"""The report's text, Markdown and HTML views: fitted, cut and escaped as promised."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from pstokens.config import Rules
from pstokens.engine.inventory.report import Report, build_report
from pstokens.engine.rules.live import LiveToken
from pstokens.render.report_html import CSP, SCRIPT, render_report_html
from pstokens.render.report_markdown import LIMIT, render_report_markdown
from pstokens.render.report_text import render_report_text
from pstokens.state import State
from pstokens.state.model import TokenRecord

NOW = datetime(2026, 12, 1, tzinfo=UTC)
RULES = Rules(forbid_accesses=frozenset({"delete_databases"}), require_ttl=True)


def organization(count: int, name: str = "tok-{i:05d}") -> Report:
    live, state = [], State.new("acme")
    for i in range(count):
        token_id = f"id{i:010d}"
        accesses = {"app-prod": frozenset({"read_branch", "create_deploy_request"}),
                    "app-staging": frozenset({"read_branch", "create_branch"})}
        if i % 7 == 0:
            accesses[None] = frozenset({"read_databases", "delete_databases"})
        live.append(LiveToken(token_id, name.format(i=i), NOW - timedelta(days=i % 300),
                              None if i % 3 else NOW + timedelta(days=30), accesses,
                              None if i % 5 == 0 else NOW - timedelta(days=i % 200)))
        if i % 2:
            state = state.with_token(name.format(i=i), TokenRecord(id=token_id, name="x"))
    return build_report("acme", live, state, RULES, NOW)


def test_the_text_table_fits_the_width_it_is_given() -> None:
    for width in (80, 100, 140, 200):
        text = click.unstyle(render_report_text(organization(20), width))
        table = text.split("\n\n", 1)[1].split("Rule violations")[0]
        assert max(len(line) for line in table.splitlines()) <= width


def test_the_text_view_escapes_control_characters_in_names() -> None:
    report = build_report("acme", [LiveToken("t1", "evil\x1b]0;pwned\x07", NOW)],
                          State.new("acme"), None, NOW)
    text = render_report_text(report, 120)
    assert "\x1b]" not in text and "\x07" not in text
    assert "evil\\x1b]0;pwned\\x07" in text


def test_markdown_of_a_large_organization_stays_under_the_limit_and_says_what_it_cut() -> None:
    md = render_report_markdown(organization(1000, "a-rather-long-token-name-{i:05d}"))
    assert len(md) < LIMIT
    cuts = re.findall(r"_(\d+) of (\d+) rows cut to stay under 60,000 characters", md)
    assert cuts and all(int(cut) <= int(total) for cut, total in cuts)
    assert "### Tokens (1000)" in md
    assert md.count("| a-rather-long-token-name-") > 100  # every section still shows rows


def test_markdown_cells_cannot_break_the_table_or_carry_html() -> None:
    name = "a|b<img src=x onerror=alert(1)>`code`[link](javascript:x)\nnext"
    report = build_report("acme", [LiveToken("t1", name, NOW, None, {})],
                          State.new("acme"), RULES, NOW)
    row = next(line for line in render_report_markdown(report).splitlines()
               if "`t1`" in line and "img" in line)
    assert "<img" not in row and "\n" not in row
    assert "a\\|b&lt;img" in row and "\\`code\\`\\[link\\]" in row


def test_the_html_page_allows_only_its_own_script_and_style() -> None:
    page = render_report_html(organization(3))
    assert f'content="{CSP}"' in page
    assert "script-src 'sha256-" in CSP and "default-src 'none'" in CSP
    assert page.count("<script>") == 1 and f"<script>{SCRIPT}</script>" in page
    assert "http://" not in page and "https://" not in page


def test_html_escapes_names_in_text_and_attributes() -> None:
    name = '"><script>alert(1)</script>'
    report = build_report("acme", [LiveToken("t1", name, NOW, None, {"db\"x": frozenset({"a"})})],
                          State.new("acme"), None, NOW)
    page = render_report_html(report)
    assert "<script>alert" not in page
    assert 'data-token="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; t1"' in page
    assert 'data-col="db&quot;x"' in page


def test_an_empty_organization_renders_in_every_view() -> None:
    report = build_report("acme", [], State.new("acme"), RULES, NOW)
    assert "no service tokens" in render_report_text(report, 100)
    assert "### Tokens (0)" in render_report_markdown(report)
    assert "no service tokens" in render_report_html(report)
    assert report.to_json()["tokens"] == []


def test_html_carries_no_raw_control_character_from_a_name() -> None:
    """The second trial: NUL, and an OSC 8 hyperlink, in names reached the page's
    `data-token` attributes raw (a terminal showing the file obeyed them)."""
    names = ["nul\x00byte", "ansi\x1b[2J\x1b]8;;http://x\x07link\x1b]8;;\x07", "bell\x07"]
    live = [LiveToken(f"t{i}", n, NOW, None, {}) for i, n in enumerate(names)]
    page = render_report_html(build_report("acme", live, State.new("acme"), None, NOW))
    assert not [c for c in page if ord(c) < 32 and c not in "\n\t"]
    assert "\x7f" not in page
