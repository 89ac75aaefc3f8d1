"""Rules end to end: a config breaking its own rules is refused offline, with exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

BREAKS_RULES = """\
organization: acme
rules:
  forbid_accesses: [delete_production_branch]
  require_ttl: true
  max_ttl: 180d
tokens:
  ci-deploy:
    ttl: 365d
    accesses:
      databases:
        app-prod: [read_branch, delete_production_branch]
  reporter: {}
"""


@pytest.mark.parametrize("command", [("validate",)], ids=["validate"])
def test_a_config_breaking_its_rules_is_refused_with_every_finding_located(
    command: tuple[str, ...], cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", BREAKS_RULES)
    before = sorted(p.name for p in workdir.rglob("*"))

    result = cli(*command)

    assert result.code == 1
    assert "3 problems in the configuration" in result.err
    assert 'pstokens.yaml:8:10: ttl 365d of token "ci-deploy" is longer than rules.max_ttl ' \
        "(180d)" in result.err
    assert 'pstokens.yaml:11:33: token "ci-deploy" asks for delete_production_branch on ' \
        "database app-prod, which rules.forbid_accesses forbids" in result.err
    assert 'pstokens.yaml:12:3: token "reporter" sets no ttl, but rules.require_ttl is true' \
        in result.err
    assert "Traceback" not in result.both and result.out == ""
    assert emulator.stats()["total"] == 0
    assert sorted(p.name for p in workdir.rglob("*")) == before


def test_a_config_within_its_rules_validates(cli: Cli, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml",
                 BREAKS_RULES.replace("365d", "90d").replace(", delete_production_branch]", "]")
                 .replace("reporter: {}", "reporter: {ttl: 1d}"))
    result = cli("validate")
    assert result.code == 0, result.both
    assert "valid (2 tokens, organization acme)" in result.out
