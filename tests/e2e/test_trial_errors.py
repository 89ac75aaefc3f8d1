"""The trial's error scenarios (issue 26, items 6 and 7), each as the user met it.

A non-executable COMMAND, `--api-url` beside the emulator, `apply --format json`
refusing a plan, a hand-edited saved plan, `validate` on a config with both
misnamed accesses and broken rules, and the errors that lacked a Hint line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
unmanaged:
  policy: ignore
rules:
  max_ttl: 1h
tokens:
  ci-deploy:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch]
"""


@pytest.fixture
def project(workdir: Path) -> Path:
    write_config(workdir / "pstokens.yaml", CONFIG)
    return workdir


# -- exec: 126 found but not runnable, 127 not found, as a shell -------------------


@pytest.mark.parametrize("make", ["file-without-x", "folder"])
def test_exec_of_a_command_found_but_not_executable_exits_126(
    make: str, cli: Cli, emulator: Emulator, project: Path
) -> None:
    target = project / "deploy.sh"
    if make == "folder":
        target.mkdir()
    else:
        target.write_text("#!/bin/sh\necho deployed\n")
        target.chmod(0o644)
    result = cli("exec", "ci-deploy", "--", "./deploy.sh")
    assert result.code == 126, result.both
    assert "Error: command cannot be run: ./deploy.sh is " in result.err
    assert "Hint: " in result.err and "no lease was made" in result.err
    # A folder cannot be made executable: its hint does not say chmod (the second trial).
    assert ("chmod" in result.err) == (make != "folder")
    assert emulator.tokens() == []


def test_exec_of_a_command_on_path_without_its_execute_bit_exits_126(
    cli: Cli, emulator: Emulator, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = project / "bin"
    bin_dir.mkdir()
    (bin_dir / "deploy-tool").write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = cli("exec", "ci-deploy", "--", "deploy-tool")
    assert result.code == 126, result.both
    assert f"{bin_dir / 'deploy-tool'} is not executable" in result.err
    assert emulator.tokens() == []


def test_exec_of_a_command_not_found_still_exits_127(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    result = cli("exec", "ci-deploy", "--", "./no-such-script")
    assert result.code == 127, result.both
    assert "command not found: ./no-such-script" in result.err
    assert emulator.tokens() == []


# -- --api-url with the embedded emulator --------------------------------------


@pytest.mark.parametrize("how", ["env", "flag"])
def test_api_url_beside_the_embedded_emulator_is_refused_not_ignored(
    how: str, cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "env":
        monkeypatch.setenv("PSTOKENS_EMULATOR", "1")
        args: tuple[str, ...] = ("--api-url", "https://api.example.test/v1", "plan")
    else:
        args = ("--emulator", "--api-url", "https://api.example.test/v1", "plan")
    result = cli(*args)
    assert result.code == 1, result.both
    assert "--api-url and the embedded emulator" in result.err
    assert "Hint: drop --api-url" in result.err
    assert not (project / ".pstokens").exists()  # the emulator was not started either


# -- saved plans: hand-edited, refused in JSON ----------------------------------


def _edited_plan(cli: Cli, project: Path) -> Path:
    assert cli("plan", "--out", "plan.json").code == 0
    saved = json.loads((project / "plan.json").read_text())
    grant = next(i for i, c in enumerate(saved["changes"])
                 if c["action"] == "grant" and c["database"] == "app-prod")
    saved["changes"][grant]["accesses"] = ["delete_database", "read_branch"]
    (project / "plan.json").write_text(json.dumps(saved))
    return project / "plan.json"


def test_a_hand_edited_saved_plan_names_the_change_and_field_that_differ(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    _edited_plan(cli, project)
    result = cli("apply", "plan.json")
    assert result.code == 1, result.both
    assert "the organization changed" not in result.err  # it did not: the file was edited
    assert "was the plan file edited?" in result.err
    assert ("changes[2] (grant ci-deploy delete_database, read_branch on database app-prod): "
            "accesses is [delete_database, read_branch] in the saved plan, [read_branch] in "
            "a fresh plan") in result.err, result.err
    assert emulator.tokens() == []


def test_apply_format_json_prints_a_result_when_it_refuses_a_plan(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    _edited_plan(cli, project)
    result = cli("apply", "plan.json", "--format", "json")
    assert result.code == 1, result.both
    document = json.loads(result.out)
    assert document["success"] is False and document["outcomes"] == []
    assert document["refused"]["kind"] == "stale_plan"
    assert "accesses is [delete_database, read_branch]" in document["refused"]["message"]
    assert document["refused"]["hint"].startswith("run `pstokens plan --out FILE` again")
    assert "Error: saved plan is stale" in result.err  # stderr says it as before

    (project / "plan.json").write_text("{}")
    damaged = cli("apply", "plan.json", "--format", "json")
    assert damaged.code == 1
    assert json.loads(damaged.out)["refused"]["kind"] == "plan_refused"
    assert emulator.tokens() == []


def test_apply_format_json_prints_a_result_when_it_refuses_a_saved_plans_flags(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    """The second trial: `apply PLANFILE --secrets-command cat --format json` said
    why on stderr but left stdout empty."""
    assert cli("plan", "--out", "plan.json").code == 0
    result = cli("apply", "plan.json", "--secrets-command", "cat", "--format", "json")
    assert result.code == 1, result.both
    document = json.loads(result.out)
    assert document["success"] is False and document["refused"]["kind"] == "usage"
    assert "are for fresh plans" in document["refused"]["message"]
    assert emulator.tokens() == []


def test_plan_out_refuses_a_plan_apply_would_refuse_and_writes_nothing(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pstokens.cli.commands_plan as commands_plan

    monkeypatch.setattr(commands_plan, "MAX_PLAN_BYTES", 200)
    result = cli("plan", "--out", "plan.json")
    assert result.code == 1, result.both
    assert "more than the 0 MiB `apply` and `show` read; plan.json was not written" \
        in result.err
    assert "Hint: save smaller plans with --target KEY" in result.err
    assert not (project / "plan.json").exists()


# -- validate: everything at once -------------------------------------------------


def test_validate_reports_rule_breaks_beside_unknown_access_names(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", """\
organization: acme
rules:
  forbid_accesses: [delete_databases]
  max_ttl: 30d
tokens:
  ci:
    ttl: 90d
    accesses:
      organization: [delete_databases, read_databasez]
      databases:
        app-prod: [read_brnch]
""")
    result = cli("validate")
    assert result.code == 1
    assert result.err.splitlines()[:5] == [
        "Error: 4 problems in the configuration:",
        "pstokens.yaml:7:10: ttl 90d of token \"ci\" is longer than rules.max_ttl (30d)",
        "pstokens.yaml:9:22: token \"ci\" asks for delete_databases on the organization, "
        "which rules.forbid_accesses forbids",
        "pstokens.yaml:9:40: unknown access \"read_databasez\" (did you mean "
        "\"read_databases\"?)",
        "pstokens.yaml:11:20: unknown access \"read_brnch\" (did you mean \"read_branch\"?)",
    ]



def test_validate_reports_rule_breaks_beside_malformed_deliver_entries(
    cli: Cli, workdir: Path
) -> None:
    """No rule reads `deliver:`, so its problems leave the token's rules checked."""
    write_config(workdir / "pstokens.yaml", """\
organization: acme
rules:
  forbid_accesses: [delete_databases]
  require_ttl: true
tokens:
  ci:
    deliver:
      - command: 42
        bogus: x
      - dir: ""
    accesses:
      organization: [delete_databases, read_brnch]
""")
    result = cli("validate")
    assert result.code == 1
    assert result.err.splitlines()[:7] == [
        "Error: 6 problems in the configuration:",
        "pstokens.yaml:6:3: token \"ci\" sets no ttl, but rules.require_ttl is true",
        "pstokens.yaml:8:18: command must be a shell command that reads the secret on stdin, "
        "not the number 42 (quote it: \"42\")",
        "pstokens.yaml:9:9: unknown key \"bogus\" in each entry of deliver (expected one of: "
        "command, timeout, stdin)",
        "pstokens.yaml:10:14: dir is empty: give the folder that receives "
        "<organization>/<key>.env",
        "pstokens.yaml:12:22: token \"ci\" asks for delete_databases on the organization, "
        "which rules.forbid_accesses forbids",
        "pstokens.yaml:12:40: unknown access \"read_brnch\" (did you mean \"read_branch\"? "
        "it is a database access)",
    ]

# -- every error has its Hint line ------------------------------------------------


@pytest.mark.parametrize(("args", "error"), [
    (("exec", "ci-deploy", "--ttl", "30s", "--", "true"), "--ttl 30s is too short"),
    (("exec", "ci-deploy", "--"), "no COMMAND after `--`"),
    (("apply", "missing-plan.json"), "cannot read plan file missing-plan.json"),
    (("show", "missing-plan.json"), "cannot read plan file missing-plan.json"),
    (("state", "push", "missing-state.json", "--state", "other.json"),
     "state file missing-state.json does not exist"),
    (("plan", "--out", "pstokens.yaml/plan.json"),
     "cannot write the plan to pstokens.yaml/plan.json"),
], ids=["ttl-too-short", "no-command", "apply-unreadable-plan", "show-unreadable-plan",
        "push-missing-state", "plan-out-unwritable"])
def test_each_error_of_the_trial_has_a_hint(
    args: tuple[str, ...], error: str, cli: Cli, emulator: Emulator, project: Path
) -> None:
    result = cli(*args)
    assert result.code == 1, result.both
    lines = result.err.splitlines()
    assert lines[0].startswith(f"Error: {error}"), result.err
    assert lines[1].startswith("Hint: ") and len(lines[1]) > len("Hint: "), result.err
    assert emulator.tokens() == []


def test_exec_says_the_date_a_long_lease_ends_not_only_the_time(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    result = cli("exec", "ci-deploy", "--ttl", "59m", "--", "true")  # rules.max_ttl: 1h
    assert result.code == 0, result.both
    line = next(x for x in result.err.splitlines() if " until " in x)
    assert re.search(r" until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$", line), line
