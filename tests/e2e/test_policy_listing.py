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
