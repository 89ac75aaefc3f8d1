"""What a reviewer approves is what runs: the plan says when a replaced token dies
and where a new secret goes, and a saved plan delivers where it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
{extra}    accesses:
      databases:
        app-prod: [read_branch]
"""


@pytest.mark.parametrize(("extra", "seconds", "words"), [
    ("", 0, "deleted once the new token is delivered"),
    ("    overlap: 1h\n", 3600, "kept 1h after the new token is delivered"),
])
def test_a_replace_plan_says_when_the_old_token_dies(
    cli: Cli, emulator: Emulator, workdir: Path, extra: str, seconds: int, words: str
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(extra=extra))
    assert cli("apply", "--auto-approve").code == 0
    old = emulator.by_name("ci")[0]["id"]
    plan = json.loads(cli("plan", "--replace", "ci", "--format", "json").out)
    [replace] = [c for c in plan["changes"] if c["action"] == "replace"]
    assert replace["retire"] == {"token_id": old, "overlap_seconds": seconds}
    assert replace["deliver"] == [{"dir": ".pstokens/secrets"}]  # the default, resolved
    text = cli("plan", "--replace", "ci").out
    assert f"old {old} {words}" in text


def test_a_saved_plan_delivers_where_it_says_and_refuses_a_changed_deliver(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    first = "    deliver:\n      - dir: first\n"
    write_config(workdir / "pstokens.yaml", CONFIG.format(extra=first))
    assert cli("plan", "--out", "p.json").code == 0
    saved = json.loads((workdir / "p.json").read_text())
    assert saved["changes"][0]["deliver"] == [{"dir": "first"}]

    write_config(workdir / "pstokens.yaml",
                 CONFIG.format(extra="    deliver:\n      - dir: second\n"))
    stale = cli("apply", "p.json")
    assert stale.code == 1 and emulator.tokens() == []
    assert "tokens.ci.deliver[0].dir changed from first to second" in stale.err

    write_config(workdir / "pstokens.yaml", CONFIG.format(extra=first))
    assert cli("apply", "p.json").code == 0
    assert (workdir / "first" / "acme" / "ci.env").exists()
    assert not (workdir / "second").exists()
