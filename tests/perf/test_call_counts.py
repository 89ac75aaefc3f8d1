"""The calls `pstokens plan` and `apply` send, pinned so they cannot creep up.

The CLI runs in-process against a real emulator over loopback, which counts
every request it serves. The emulator embeds accesses in list items, so a
plan needs the list pages and one read of the audit log (for leaks) and
nothing else.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from tests.e2e.conftest import Cli, Emulator

from .conftest import DATABASES, ORG, config_text, key, seed, write_workspace

PER_PAGE = 100
TOKENS_LIST = "GET /v1/organizations/{organization}/service-tokens"
AUDIT_LOG = "GET /v1/organizations/{organization}/audit-log"
LEAKED = "service_token.token_leaked"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    store = EmulatorStore()
    with running_emulator(EmulatorSettings(), store) as url:
        yield Emulator(url, store, ORG)


@pytest.fixture
def cli(emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    return Cli(capsys, monkeypatch, emulator.url)


def calls(emulator: Emulator) -> dict[str, int]:
    """`METHOD /route-template` -> requests served, whatever the status."""
    return {route: sum(by_status.values())
            for route, by_status in emulator.stats()["by_route"].items()}


def list_pages(route_counts: dict[str, int]) -> int:
    return route_counts.get("GET /v1/organizations/{{organization}}/service-tokens", 0)


@pytest.mark.parametrize(("managed", "unmanaged"), [(0, 0), (100, 0), (250, 0), (180, 40)])
def test_a_plan_reads_only_the_list_pages_when_accesses_are_embedded(
    cli: Cli, emulator: Emulator, tmp_path: Path, managed: int, unmanaged: int
) -> None:
    write_workspace(tmp_path, seed(emulator.store, managed, unmanaged), managed)
    emulator.reset_stats()

    result = cli("plan", "--detailed-exitcode")

    assert result.code == (2 if unmanaged else 0), result.both
    assert "No changes" in result.out or unmanaged
    pages = max(1, math.ceil((managed + unmanaged) / PER_PAGE))
    assert calls(emulator) == {TOKENS_LIST: pages, AUDIT_LOG: 1}


@pytest.mark.parametrize("size", [1000])
def test_apply_of_new_tokens_makes_1_list_a_create_a_grant_per_scope_and_a_verification_each(
    cli: Cli, emulator: Emulator, tmp_path: Path, size: int
) -> None:
    (tmp_path / "pstokens.yaml").write_text(config_text(key(i) for i in range(size)))
    emulator.reset_stats()

    result = cli("apply", "--auto-approve")

    assert result.code == 0, result.both
    # Each new token is verified once, as itself, by the GET its grants allow that the
    # plan chose (the same for every token here): on its first database.
    verify = "GET /v1/organizations/{organization}/databases/{database}/throttler"
    assert calls(emulator) == {
        "GET /v1/organizations/{organization}/service-tokens": 1,  # the plan's read
        AUDIT_LOG: 1,  # the plan's leak check
        "POST /v1/organizations/{organization}/service-tokens": size,
        verify: size,
        "POST /v1/organizations/{organization}/service-tokens/{token_id}/access":
            size * len(DATABASES),
    }

    emulator.reset_stats()
    again = cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.both
    assert calls(emulator) == {TOKENS_LIST: math.ceil(size / PER_PAGE), AUDIT_LOG: 1}


def test_a_plan_with_changes_still_reads_only_the_pages(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    write_workspace(tmp_path, seed(emulator.store, 150), 150)
    some = emulator.store.tokens(ORG)[0]
    emulator.store.revoke(ORG, some["id"], ["create_branch"], "app-staging")
    emulator.reset_stats()

    result = cli("plan", "--detailed-exitcode")

    assert result.code == 2, result.both
    assert calls(emulator) == {TOKENS_LIST: 2, AUDIT_LOG: 1}


@pytest.mark.parametrize(("events", "reads"), [(0, 1), (100, 1), (101, 2), (250, 3)])
def test_a_plan_reads_the_audit_log_once_when_15_days_hold_100_events_or_fewer(
    cli: Cli, emulator: Emulator, tmp_path: Path, events: int, reads: int
) -> None:
    # 100 managed tokens: their creates and grants are in the log too, 300 more events.
    write_workspace(tmp_path, seed(emulator.store, 100), 100)
    for i in range(events):  # reported leaks of tokens that are no longer live
        emulator.store.add_audit_event(ORG, LEAKED, target_id=f"gone{i:08d}")
    emulator.reset_stats()

    result = cli("plan", "--detailed-exitcode")

    assert result.code == 0, result.both
    assert calls(emulator) == {TOKENS_LIST: 1, AUDIT_LOG: reads}
