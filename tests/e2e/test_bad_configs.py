"""Every bad config: exit 1, a FILE:LINE:COL message, no API call, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.bad_configs import BAD_CONFIGS, BadConfig
from tests.e2e.conftest import Cli, Emulator


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=lambda c: c.id)
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")],
                         ids=["plan", "apply"])
def test_bad_config_changes_nothing(
    case: BadConfig, command: tuple[str, ...], cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    (workdir / "pstokens.yaml").write_bytes(case.text.encode("utf-8", "surrogateescape"))
    before = sorted(p.name for p in workdir.rglob("*"))

    result = cli(*command)

    assert result.code == 1
    assert f"pstokens.yaml:{case.line}:{case.column}: " in result.err
    assert case.message in result.err
    assert "Traceback" not in result.both
    assert result.out == ""
    assert emulator.stats()["total"] == 0
    assert sorted(p.name for p in workdir.rglob("*")) == before


def test_validate_reports_every_problem_at_once(cli: Cli, workdir: Path) -> None:
    (workdir / "pstokens.yaml").write_text(
        "organization: acme\n"
        "tokens:\n"
        "  ci:\n"
        "    ttl: 90x\n"
        "    accesses:\n"
        "      organization: [read_brnch]\n"
        "      databases:\n"
        "        app: [read_databases]\n"
    )
    result = cli("validate")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.startswith("pstokens.yaml:")]
    assert len(lines) == 3
    assert lines[0].startswith("pstokens.yaml:4:")
    assert 'did you mean "read_branch"' in result.err or "read_branch" in lines[1]
