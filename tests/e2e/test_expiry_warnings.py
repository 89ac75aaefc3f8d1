"""Expiry seen coming: validate warns about rotate_after >= ttl, plans about tokens
that expire within 14 days with nothing planned to replace them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Cli, Emulator, write_config


def test_validate_warns_when_rotate_after_is_not_shorter_than_ttl(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml",
                 "organization: acme\ntokens:\n  ci:\n    ttl: 30d\n    rotate_after: 30d\n")
    result = cli("validate")
    assert result.code == 0
    assert result.err == (
        'pstokens.yaml:5:19: warning: rotate_after of "ci" is not shorter than its ttl, so the '
        "token expires before it is rotated (make rotate_after shorter than ttl)\n"
    )
    assert "valid (1 token" in result.out


def test_plans_warn_about_a_token_expiring_within_14_days(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  ci:\n    ttl: 10d\n")
    assert cli("apply", "--auto-approve").code == 0
    [token] = emulator.by_name("ci")

    text = cli("plan", "--detailed-exitcode")
    assert text.code == 0  # a warning, not a difference
    assert "Warnings:\n  ci: its token expires 20" in text.out
    assert "nothing in this plan replaces it (set rotate_after shorter than ttl, or " \
           "`pstokens apply --replace ci`)" in text.out
    assert text.out.rstrip().endswith("No changes. The organization matches the configuration.")

    document = json.loads(cli("plan", "--format", "json").out)
    [warning] = document["warnings"]
    assert (warning["kind"], warning["key"], warning["token_ids"]) == (
        "expires_soon", "ci", [token["id"]])
    assert warning["expires_at"].startswith(token["expires_at"][:10])

    markdown = cli("plan", "--format", "markdown").out
    assert "### Warnings (1)" in markdown and "ci: its token expires" in markdown

    replacing = cli("plan", "--replace", "ci", "--format", "json")
    assert json.loads(replacing.out)["warnings"] == []  # the plan replaces it: no warning
