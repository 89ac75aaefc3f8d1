"""A saved plan made stale by a retiring token's use: the refusal names what moved.

A plan that deletes a replaced token PlanetScale had not seen used for
`retire_when_unused` must not be applied once the token is used again; the
refusal says the organization moved (the token was used since the plan was
made), not that the plan file was edited.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pstokens import clock
from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
    retire_when_unused: 30m
    deliver:
      - dir: secrets
    accesses:
      organization: [read_databases]
"""


def _replaced(cli: Cli, emulator: Emulator, workdir: Path) -> str:
    """`ci` replaced, its old token retiring: the old token's ID."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    [old] = [t["id"] for t in emulator.by_name("ci")]
    result = cli("apply", "--auto-approve", "--replace", "ci")
    assert result.code == 0, result.both
    return str(old)


def test_a_saved_plan_is_refused_naming_the_use_of_a_token_it_deletes_as_unused(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    old = _replaced(cli, emulator, workdir)
    now = datetime.now(UTC)
    emulator.store.set_times("acme", old, last_used_at=now - timedelta(hours=2))
    assert cli("plan", "--out", "p.json").code == 0
    saved = json.loads((workdir / "p.json").read_text())
    assert [(c["action"], c["token_id"], c["cause"]) for c in saved["changes"]] == [
        ("delete", old, "not_used")]
    emulator.store.set_times("acme", old, last_used_at=now)

    result = cli("apply", "p.json")
    assert result.code == 1, result.both
    assert "was the plan file edited" not in result.err
    assert "saved plan is stale: the organization changed since it was made" in result.err
    assert (f"ci's replaced token {old} was used since the plan was made, so it is kept "
            "until unused for 30m (PlanetScale last saw it used ") in result.err, result.err
    assert old in [t["id"] for t in emulator.tokens()]

    document = json.loads(cli("apply", "p.json", "--format", "json").out)
    assert document["refused"]["kind"] == "stale_plan"
    assert f"ci's replaced token {old} was used since" in document["refused"]["message"]


def test_a_saved_plan_that_kept_a_token_is_refused_once_its_quiet_period_ran_out(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _replaced(cli, emulator, workdir)
    now = datetime.now(UTC)
    emulator.store.set_times("acme", old, last_used_at=now - timedelta(minutes=10))
    assert cli("plan", "--out", "p.json").code == 0
    later = now + timedelta(hours=1)  # no use since: only the clock moved
    monkeypatch.setattr(clock, "now", lambda: later)

    result = cli("apply", "p.json")
    assert result.code == 1, result.both
    assert "was the plan file edited" not in result.err
    assert "the organization changed" not in result.err
    assert "saved plan is stale: a retiring token's wait ran out since it was made" \
        in result.err, result.err
    assert (f"ci's replaced token {old} has not been used for retire_when_unused (30m) "
            "since the plan was made: a fresh plan deletes it") in result.err, result.err
    assert old in [t["id"] for t in emulator.tokens()]
