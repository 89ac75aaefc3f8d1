"""The HTML report in a real browser: headless Chromium loads it from file://,
and the test reads the DOM, types into the filters and takes a screenshot.

It fails, not skips, when Chromium is missing and CI=true (`.ci/run` installs
Debian's `chromium`). `PSTOKENS_SCREENSHOT=docs/report.png` keeps the picture.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pstokens.config import Rules
from pstokens.engine.inventory.report import build_report
from pstokens.engine.inventory.whocan import who_can
from pstokens.engine.rules.live import LiveToken
from pstokens.operations import operations_table
from pstokens.render.report_html import render_report_html
from pstokens.state import State
from pstokens.state.model import TokenRecord
from tests.browser.cdp import Page, chromium_page, find_chromium

TABLE = operations_table()
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
SCRIPT_NAME = "<script>window.pwned=1</script>"
IMG_NAME = "<img src=x onerror=window.pwned=2>"
RULES = Rules(forbid_accesses=frozenset({"delete_production_branch", "delete_databases"}),
              max_ttl=180 * 86400)


def _token(token_id: str, name: str, age: int, ttl: int | None, used: int | None,
           accesses: dict[str | None, set[str]]) -> LiveToken:
    created = NOW - age * DAY
    return LiveToken(
        id=token_id, name=name, created_at=created,
        expires_at=None if ttl is None else created + ttl * DAY,
        accesses={db: frozenset(names) for db, names in accesses.items()},
        last_used_at=None if used is None else NOW - used * DAY,
    )


REALISTIC = [
    _token("c1d2e3f4g5h6", "ci-deploy", 20, 90, 0, {
        None: {"read_databases"},
        "app-prod": {"read_branch", "create_deploy_request", "read_deploy_request"},
        "app-staging": {"read_branch", "create_branch", "delete_branch"}}),
    _token("p1r2e3v4i5e6", "preview-branches", 20, 30, 1, {
        "app-staging": {"read_branch", "create_branch", "delete_branch",
                        "create_branch_password"}}),
    _token("a1n2a3l4y5s6", "analytics-reader", 20, None, 2, {
        "analytics": {"read_branch", "connect_production_read_only_branch"}}),
    _token("l1e2g3a4c5y6", "legacy-admin", 420, None, 200, {
        None: {"read_organization", "read_databases", "delete_databases"},
        "app-prod": {"read_branch", "delete_production_branch"}}),
    _token("l1a2p3t4o5p6", "laptop-debug", 12, 365, 1, {
        "app-staging": {"read_branch", "connect_branch"}}),
    _token("e1x2p3o4r5t6", "analytics-export", 95, None, None, {
        "analytics": {"read_branch", "connect_production_read_only_branch"}}),
]
HOSTILE = [
    _token("s1c2r3i4p5t6", SCRIPT_NAME, 3, 30, 0, {"app-prod": {"read_branch"}}),
    _token("i1m2g3x4x5x6", IMG_NAME, 3, 30, 0, {"analytics": {"read_branch"}}),
]


def _state() -> State:
    state = State.new("acme")
    for key, token_id in (("ci-deploy", "c1d2e3f4g5h6"), ("preview-branches", "p1r2e3v4i5e6"),
                          ("analytics-reader", "a1n2a3l4y5s6")):
        state = state.with_token(key, TokenRecord(id=token_id, name=key))
    return state


def _write(path: Path, tokens: list[LiveToken]) -> str:
    path.write_text(render_report_html(build_report("acme", tokens, _state(), RULES, NOW)))
    return path.as_uri()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    executable = find_chromium()
    if executable is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the browser test")
        pytest.skip(message)
    with chromium_page(executable, tmp_path_factory.mktemp("chromium-profile")) as page:
        yield page


@pytest.fixture(scope="module")
def report_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _write(tmp_path_factory.mktemp("report") / "report.html", REALISTIC + HOSTILE)


def visible_names(page: Page) -> list[str]:
    return list(page.js(
        "[...document.querySelectorAll('#matrix tbody tr')].filter(r => !r.hidden)"
        ".map(r => r.querySelector('.name').textContent)"
    ))


def reset(page: Page, url: str) -> None:
    page.open(url)


def test_the_matrix_has_a_row_per_token_and_accesses_in_its_cells(
    browser: Page, report_url: str
) -> None:
    reset(browser, report_url)
    headers = browser.js("[...document.querySelectorAll('#matrix thead th')]"
                         ".map(h => h.textContent)")
    assert headers == ["token", "key", "expires", "last used", "organization", "analytics",
                       "app-prod", "app-staging", "findings"]
    assert len(visible_names(browser)) == 8
    cell = browser.js(
        "[...document.querySelectorAll('#matrix tbody tr')]"
        ".find(r => r.querySelector('.name').textContent === 'legacy-admin')"
        ".querySelector('td[data-col=\"app-prod\"]').innerText"
    )
    assert cell.split() == ["delete_production_branch", "read_branch"]
    forbidden = browser.js("[...document.querySelectorAll('#matrix .a.forbidden')]"
                           ".map(a => a.textContent).sort()")
    assert forbidden == ["delete_databases", "delete_production_branch"]
    marked = browser.js("[...document.querySelectorAll('tr.violation, tr.stale')]"
                        ".map(r => r.querySelector('.name').textContent + ':' + r.className)")
    assert sorted(marked) == ["analytics-export:stale", "laptop-debug:violation",
                              "legacy-admin:violation stale"]
    assert browser.js("document.getElementById('shown').textContent") == "8 of 8 tokens shown"


def test_hostile_names_are_shown_as_text_and_never_run(browser: Page, report_url: str) -> None:
    reset(browser, report_url)
    assert browser.js("typeof window.pwned") == "undefined"
    names = visible_names(browser)
    assert SCRIPT_NAME in names and IMG_NAME in names
    # The one script that runs; the operations map is JSON data, never run.
    assert browser.js("document.querySelectorAll('script:not([type=\"application/json\"])')"
                      ".length") == 1
    assert browser.js("document.querySelectorAll('img').length") == 0


def test_typing_a_token_filter_narrows_the_rows(browser: Page, report_url: str) -> None:
    reset(browser, report_url)
    browser.type_into("#f-token", "analytics")
    assert visible_names(browser) == ["analytics-export", "analytics-reader"]
    assert browser.js("document.getElementById('shown').textContent") == "2 of 8 tokens shown"


def test_the_access_filter_finds_who_holds_a_dangerous_access(
    browser: Page, report_url: str
) -> None:
    reset(browser, report_url)
    browser.type_into("#f-access", "delete_production")
    assert visible_names(browser) == ["legacy-admin"]
    assert browser.js("[...document.querySelectorAll('.a.hit')].map(a => a.textContent)") == [
        "delete_production_branch"]


def test_the_database_filter_keeps_its_column_and_the_tokens_on_it(
    browser: Page, report_url: str
) -> None:
    reset(browser, report_url)
    browser.js("const s = document.getElementById('f-database'); s.value = 'app-prod';"
               "s.dispatchEvent(new Event('input'))")
    assert visible_names(browser) == [SCRIPT_NAME, "ci-deploy", "legacy-admin"]
    shown = browser.js("[...document.querySelectorAll('#matrix thead th')]"
                       ".filter(h => !h.hidden).map(h => h.textContent)")
    assert shown == ["token", "key", "expires", "last used", "app-prod", "findings"]


def set_operation(page: Page, operation: str) -> None:
    page.js("document.getElementById('f-operation').value = ''")
    page.type_into("#f-operation", operation)


def test_who_can_finds_the_tokens_able_to_perform_an_operation(
    browser: Page, report_url: str
) -> None:
    reset(browser, report_url)
    set_operation(browser, "delete_branch")
    assert visible_names(browser) == ["ci-deploy", "preview-branches"]
    assert browser.js("[...document.querySelectorAll('.a.can')].map(a => a.textContent)") == [
        "delete_branch", "delete_branch"]


def test_who_can_with_a_database_counts_the_organizations_accesses_too(
    browser: Page, report_url: str
) -> None:
    reset(browser, report_url)
    set_operation(browser, "get_branch_query")  # read_databases: organization-wide
    browser.js("const s = document.getElementById('f-database'); s.value = 'app-prod';"
               "s.dispatchEvent(new Event('input'))")
    assert visible_names(browser) == ["ci-deploy", "legacy-admin"]
    set_operation(browser, "get_branch")  # read_branch on app-prod itself, or read_databases
    assert visible_names(browser) == [SCRIPT_NAME, "ci-deploy", "legacy-admin"]


def test_each_token_lists_what_it_can_do_and_a_hostile_name_stays_text(
    browser: Page, report_url: str
) -> None:
    reset(browser, report_url)
    summaries = browser.js(
        "Object.fromEntries([...document.querySelectorAll('#matrix tbody tr')].map(r => "
        "[r.querySelector('.name').textContent, r.querySelector('details.ops summary')"
        ".textContent]))")
    assert summaries[SCRIPT_NAME] == f"{len(TABLE.allowed_by(['read_branch']))} operations"
    assert summaries["legacy-admin"].endswith("(+ delete_databases: not described by the API)")
    listed = browser.js(
        "(() => { const r = [...document.querySelectorAll('#matrix tbody tr')]"
        f".find(r => r.querySelector('.name').textContent === {json.dumps(SCRIPT_NAME)});"
        "r.querySelector('details.ops summary').click();"
        "return r.querySelector('.ops-list').textContent; })()")
    assert listed.split(", ") == sorted(TABLE.allowed_by(["read_branch"]))
    set_operation(browser, "get_branch")
    assert SCRIPT_NAME in visible_names(browser)
    assert browser.js("typeof window.pwned") == "undefined"


def test_a_link_can_carry_the_filters(browser: Page, report_url: str) -> None:
    browser.open("about:blank")  # else only the fragment changes, and nothing reloads
    browser.open(report_url + "#" + "token=legacy&findings=1")
    assert visible_names(browser) == ["legacy-admin"]


def test_screenshot(browser: Page, tmp_path: Path) -> None:
    browser.open(_write(tmp_path / "demo.html", REALISTIC))
    picture = tmp_path / "report.png"
    browser.screenshot(picture)
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert json.loads(json.dumps(browser.js("document.title"))) == "pstokens report: acme"
    keep = os.environ.get("PSTOKENS_SCREENSHOT")
    if keep:
        shutil.copyfile(picture, keep)


def test_who_can_on_a_database_keeps_organization_level_holders(
    browser: Page, tmp_path: Path
) -> None:
    """The trial's "0 of 3 tokens shown" where `who-can` names one: a token holding
    read_databases on the organization can get_branch_query on every database."""
    tokens = [_token("o1r2g3r4e5a6", "org-reader", 5, 30, 0, {None: {"read_databases"}}),
              _token("p1r2o3d4x5x6", "prod-branches", 5, 30, 0, {"app-prod": {"read_branch"}}),
              _token("s1t2a3g4e5x6", "staging", 5, 30, 0, {"app-staging": {"read_database"}})]
    browser.open(_write(tmp_path / "org.html", tokens))
    expected = who_can(tokens, {}, "get_branch_query", "app-prod", TABLE)
    assert [a.name for a in expected] == ["org-reader"]
    set_operation(browser, "get_branch_query")
    browser.js("const s = document.getElementById('f-database'); s.value = 'app-prod';"
               "s.dispatchEvent(new Event('input'))")
    assert visible_names(browser) == ["org-reader"]
    assert browser.js("document.getElementById('shown').textContent") == "1 of 3 tokens shown"
    assert browser.js("[...document.querySelectorAll('.a.can')].map(a => a.textContent)") == [
        "read_databases"]
    shown = browser.js("[...document.querySelectorAll('#matrix thead th')]"
                       ".filter(h => !h.hidden).map(h => h.textContent)")
    assert shown == ["token", "key", "expires", "last used", "organization", "app-prod",
                     "findings"]


@pytest.mark.parametrize("database", ["", "app-prod"])
def test_who_can_shows_a_token_possibly_able_by_an_undescribed_access(
    browser: Page, report_url: str, database: str
) -> None:
    reset(browser, report_url)
    set_operation(browser, "delete_database")
    browser.js(f"const s = document.getElementById('f-database'); s.value = '{database}';"
               "s.dispatchEvent(new Event('input'))")
    assert visible_names(browser) == ["legacy-admin"]  # delete_databases, on the organization
    maybe = browser.js("[...document.querySelectorAll('#matrix .a.maybe')]"
                       ".map(a => a.textContent)")
    assert maybe == ["delete_databases"]
    assert browser.js("document.getElementById('shown').textContent") == (
        "1 of 8 tokens shown (1 possibly, by an access the API does not describe)")
    able = who_can(REALISTIC + HOSTILE, {}, "delete_database", database or None, TABLE)
    assert [(a.name, a.possibly) for a in able] == [("legacy-admin", True)]


def test_a_300_character_name_wraps_at_1400_pixels(browser: Page, tmp_path: Path) -> None:
    long_name = "a" * 150 + " " + "b" * 149  # a word longer than any column, too
    tokens = [*REALISTIC, _token("l1o2n3g4x5x6", long_name, 5, 30, 0,
                                 {"app-prod": {"read_branch"}})]
    browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=800,
                 deviceScaleFactor=1, mobile=False)
    try:
        browser.open(_write(tmp_path / "long.html", tokens))
        assert long_name in visible_names(browser)
        assert browser.js("document.documentElement.scrollWidth") <= 1400
        assert browser.js("document.querySelector('#matrix').getBoundingClientRect().right"
                          ) <= 1400
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")
