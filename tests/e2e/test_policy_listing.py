"""`rules.policies` entries as a new user wrote them: the same file under two spellings
is said to be listed twice (not to declare its own package again), and an empty entry
is refused as an empty value (as `null` is), not read as the config's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, write_config

pytest.importorskip("regopy")

TTL = Path(__file__).parents[2] / "examples" / "policy" / "ttl.rego"
CONFIG = "organization: acme\nrules:\n  policies: {listed}\ntokens:\n  ci:\n    ttl: 30d\n"


@pytest.fixture
def policy(workdir: Path) -> Path:
    (workdir / "pol").mkdir()
    return Path(shutil.copy(TTL, workdir / "pol" / "conft.rego"))


@pytest.mark.parametrize("second", ["./pol/conft.rego", "pol//conft.rego", "pol/x/../conft.rego"])
def test_one_policy_under_two_spellings_is_listed_twice(
    cli: Cli, workdir: Path, policy: Path, second: str
) -> None:
    (workdir / "pol" / "x").mkdir()
    write_config(workdir / "pstokens.yaml", CONFIG.format(listed=f"[pol/conft.rego, {second}]"))
    for command in (("validate",), ("plan",)):
        result = cli(*command)
        assert result.code == 1, result.both
        assert ('pstokens.yaml:3:30: policy "pol/conft.rego" is listed twice in '
                "rules.policies (first at line 3, column 14)") in result.err
        assert "declares package" not in result.err


@pytest.mark.parametrize("entry", ['""', "''", "' '"])
def test_an_empty_policy_entry_is_an_empty_value(
    cli: Cli, workdir: Path, policy: Path, entry: str
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.format(listed=f"[{entry}]"))
    result = cli("validate")
    assert result.code == 1, result.both
    assert ("pstokens.yaml:3:14: each entry of rules.policies must be a policy file, not an "
            "empty value") in result.err
    assert "directory" not in result.err


def test_validate_given_a_policy_checks_every_config_naming_it(
    cli: Cli, workdir: Path, policy: Path
) -> None:
    """What the pre-commit hook passes when a commit edits only a policy."""
    (workdir / "deploy" / "pol").mkdir(parents=True)
    shutil.copy(policy, workdir / "deploy" / "pol" / "conft.rego")
    write_config(workdir / "pstokens.yaml", CONFIG.format(listed="[pol/conft.rego]"))
    write_config(workdir / "deploy" / "pstokens-prod.yml",
                 CONFIG.format(listed="[pol/conft.rego]").replace("30d", "180d"))
    write_config(workdir / "pstokens-other.yaml", CONFIG.format(listed="[]"))
    (workdir / ".hidden").mkdir()
    write_config(workdir / ".hidden" / "pstokens.yaml", "not: [a config")
    result = cli("validate", "pol/conft.rego")
    assert result.code == 1, result.both
    assert "pstokens.yaml: valid (1 token, organization acme)." in result.out
    assert "deploy/pstokens-prod.yml:3:13: policy pstokens.ttl: ci lives 180 days" in result.err
    assert "pstokens-other.yaml" not in result.both and ".hidden" not in result.both

    alone = cli("validate", "pol/unused.rego")
    assert alone.code == 0, alone.both
    assert "pol/unused.rego: no pstokens config under this folder names this policy" in alone.err
