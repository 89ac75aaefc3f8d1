"""A name never hides a token: a lease is recognised by state, not by its name
(PRODUCT.md "Short-lived tokens", last bullets). The trial's scenarios: tokens
made by hand under a lease's name are unmanaged, drift and checked by the rules,
and `lease list`/`lease sweep --all` leave them alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
rules:
  forbid_accesses: [write_service_tokens]
  max_ttl: 1h
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
"""


@pytest.fixture
def project(cli: Cli, workdir: Path) -> Path:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    assert cli("plan", "--detailed-exitcode").code == 0
    return workdir


@pytest.mark.parametrize(("name", "ttl"), [
    ("ci-deploy+lease-backdoor", None),  # a configured key's lease name, but no expiry
    ("nosuchkey+lease-abcdefgh", 900),  # a lease's ttl, but for a key the config lacks
    ("ci-deploy+lease-longlong", 7 * 86400),  # longer than exec allows (rules.max_ttl 1h)
])
def test_a_hand_made_token_named_like_a_lease_is_unmanaged_drift_and_checked(
    cli: Cli, emulator: Emulator, project: Path, name: str, ttl: int | None,
) -> None:
    made, _secret = emulator.store.create_token("acme", name, ttl)
    emulator.store.grant("acme", made["id"], ["write_service_tokens"])

    result = cli("plan", "--detailed-exitcode")
    assert result.code == 2, result.both
    assert "No changes" not in result.out and "Leases" not in result.out
    assert "; 1 unmanaged token, " in result.out.splitlines()[-1]
    data = json.loads(cli("plan", "--format", "json").out)
    assert data["unmanaged"] == [{"id": made["id"], "name": name}]
    assert data["leases"] == []
    found = [(v["token_id"], v["rule"], v["access"]) for v in data["violations"]]
    assert (made["id"], "forbid_accesses", "write_service_tokens") in found

    assert cli("lease", "list").out.strip() == "No leases."
    swept = cli("lease", "sweep", "--all")
    assert swept.out.strip() == "Swept: 0 deleted, 0 forgotten, 0 kept."
    assert [t["id"] for t in emulator.by_name(name)] == [made["id"]]  # never deleted


def test_a_lease_whose_state_was_lost_is_still_a_lease(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    """What `exec` makes, found by an organization whose state does not record it
    (kept on a CI runner's disk, lost with the runner): listed, not unmanaged."""
    made, _secret = emulator.store.create_token("acme", "ci-deploy+lease-k3j2h1g0", 900)
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 0, result.both
    assert "ci-deploy+lease-k3j2h1g0" in result.out and "not in this state" in result.out
    listed = cli("lease", "list").out
    assert f"id {made['id']}" in listed and "[live]" in listed


def test_a_pending_intent_is_listed_without_an_empty_id(cli: Cli, project: Path) -> None:
    path = project / "state" / "acme.json"
    state = json.loads(path.read_text())
    state["leases"] = {"ci-deploy+lease-pend1ng0": {
        "key": "ci-deploy", "id": None, "expires_at": "2999-01-01T00:00:00+00:00",
        "pending_since": "2998-12-31T23:45:00+00:00"}}
    path.write_text(json.dumps(state))
    listed = cli("lease", "list")
    assert listed.code == 0, listed.both
    assert listed.out.strip() == ("ci-deploy+lease-pend1ng0  no ID yet  for ci-deploy, "
                                  "expires 2999-01-01 00:00:00 UTC  [pending]")


@pytest.mark.parametrize("command", ["list", "sweep"])
def test_lease_help_keeps_its_paragraphs_apart(cli: Cli, command: str) -> None:
    shown = cli("lease", command, "--help").out
    usage = shown.partition("Options:")[0]
    paragraphs = [p.strip() for p in usage.split("\n\n") if p.strip()]
    assert len(paragraphs) == 4, usage  # usage line, summary, explanation, example
    assert paragraphs[-1] == f"Example: pstokens lease {command}"


def test_a_lease_named_token_holding_more_than_its_key_is_drift_without_max_ttl(
    cli: Cli, emulator: Emulator, workdir: Path,
) -> None:
    """The second trial's scenario: no rules.max_ttl (so any expiry would do), a
    100-day `dep+lease-long0000` granted admin accesses its key never gives."""
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  dep:\n"
                 "    accesses:\n      databases:\n        app-prod: [read_branch]\n")
    assert cli("apply", "--auto-approve").code == 0
    made, _secret = emulator.store.create_token("acme", "dep+lease-long0000", 100 * 86400)
    emulator.store.grant("acme", made["id"], ["delete_branch", "delete_database"], "app-prod")
    emulator.store.grant("acme", made["id"], ["write_service_tokens", "create_databases"])

    result = cli("plan", "--detailed-exitcode")
    assert result.code == 2, result.both
    assert "No changes" not in result.out
    data = json.loads(cli("plan", "--format", "json").out)
    assert data["unmanaged"] == [{"id": made["id"], "name": "dep+lease-long0000"}]
    assert data["leases"] == []
    assert cli("lease", "list").out.strip() == "No leases."
