"""Errors a user meets on ordinary paths: each one line, with the hint that says what
to do, exit 1, and nothing called or written; and the nits of `--help`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config
from tests.e2e.test_state_commands import CONFIG


def refused(cli: Cli, emulator: Emulator, *args: str) -> tuple[str, str]:
    """(message, hint) of a refused run that called nothing."""
    emulator.reset_stats()
    result = cli(*args)
    assert result.code == 1, result.both
    assert emulator.stats()["total"] == 0
    lines = result.err.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Hint: "), result.err
    return lines[0].removeprefix("Error: "), lines[1].removeprefix("Hint: ")


def test_target_with_a_saved_plan_says_how_to_make_a_targeted_one(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "saved.json").code == 0
    message, hint = refused(cli, emulator, "apply", "saved.json", "--target", "deployer")
    assert message.startswith("--target and --replace are for fresh plans")
    assert hint == ("apply the saved plan without them, or save a new plan: "
                    "`pstokens plan --target KEY --out FILE`")


def test_a_plan_file_that_is_not_json_says_to_save_it_again(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    (workdir / "saved.json").write_text("{ not json")
    for args in (("show", "saved.json"), ("apply", "saved.json")):
        message, hint = refused(cli, emulator, *args)
        assert message == "plan file saved.json is not valid JSON"
        assert hint == "save the plan again with `pstokens plan --out FILE`"


def test_a_plan_from_a_newer_pstokens_says_so(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "saved.json").code == 0
    plan = json.loads((workdir / "saved.json").read_text())
    newer = plan["format_version"] + 1
    (workdir / "saved.json").write_text(json.dumps(dict(plan, format_version=newer)))
    message, hint = refused(cli, emulator, "show", "saved.json")
    assert message.startswith("plan file saved.json was made by a newer pstokens "
                              f"(plan format {newer}")
    assert hint == "apply it with that version, or plan again with this one"


def test_bad_parallelism_says_what_to_pass(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    message, hint = refused(cli, emulator, "plan", "--parallelism", "0")
    assert message == "--parallelism must be at least 1, not 0"
    assert hint == "leave it out for the default, 10"
    message, hint = refused(cli, emulator, "plan", "--rate-limit", "-5")
    assert message == "--rate-limit must not be negative" and "--rate-limit 10" in hint


def test_secrets_dir_with_secrets_command_says_how_to_have_both(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    message, hint = refused(cli, emulator, "apply", "--auto-approve",
                            "--secrets-dir", "s", "--secrets-command", "cat")
    assert message == "--secrets-dir and --secrets-command cannot be used together"
    assert "`dir:` and a `command:` entry under `deliver:`" in hint
    assert not (workdir / "s").exists()


def test_a_folder_given_as_state_file_says_to_name_the_file(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    (workdir / "state").mkdir()
    message, hint = refused(cli, emulator, "--state", "state", "plan")
    assert message == "state file state is a folder"
    assert hint == "remove the folder, or pass --state FILE naming the state file itself"


def test_a_config_over_the_size_limit_has_a_hint(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    (workdir / "big.yaml").write_text(CONFIG + ("#" + "x" * 1023 + "\n") * 8300)  # > 8 MiB
    result = cli("validate", "-c", "big.yaml")
    assert result.code == 1
    assert result.err.splitlines()[-1] == "Hint: check that -c names the config file"


def test_import_by_name_that_imports_nothing_fails(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    emulator.store.create_token("acme", "someone-else")
    result = cli("import", "--by-name")
    assert result.code == 1, result.both
    assert result.err.startswith("Error: imported nothing: no config key outside state "
                                 "names exactly one live token\n")
    assert "`pstokens import KEY TOKEN_ID`" in result.err
    assert not (workdir / "state" / "acme.json").exists()


def test_validate_help_lists_only_the_options_it_uses(cli: Cli) -> None:
    shown = cli("validate", "--help").out
    assert "--config" in shown and "--org" in shown
    for unused in ("--state", "--api-url", "--emulator", "--parallelism", "--rate-limit",
                   "--lock-timeout"):
        assert unused not in shown, unused
    assert "--state" in cli("plan", "--help").out


def test_validate_reports_rule_problems_with_schema_problems_at_once(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", """\
organization: acme
rules:
  forbid_accesses: [delete_databases]
  require_ttl: true
tokens:
  ci:
    ttl: 3x
  admin:
    ttl: 30d
    accesses:
      organization: [delete_databases]
  reader:
    ttl: 30d
    accesses:
      organization: [read_databses]
""")
    result = cli("validate")
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0] == "Error: 3 problems in the configuration:"
    assert lines[1].startswith('pstokens.yaml:7:10: bad duration "3x"')
    assert lines[2].startswith('pstokens.yaml:11:22: token "admin" asks for delete_databases')
    assert lines[3].startswith('pstokens.yaml:15:22: unknown access "read_databses"')
    # "ci" has a problem of its own: no rule finding is made up from what it lacks
    assert "sets no ttl" not in result.err


def test_ctrl_c_anywhere_exits_130_with_a_sentence_and_no_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second trial: Ctrl-C while apply was still planning printed click's
    "Aborted." and exited 1. Click turns a KeyboardInterrupt into Abort."""
    import click

    from pstokens.cli import main as entry

    def interrupted(*_args: object, **_options: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.Abort() from None

    monkeypatch.setattr(entry.cli, "main", interrupted)
    with pytest.raises(SystemExit) as stopped:
        entry.main(["apply", "--auto-approve"])
    assert stopped.value.code == 130
    shown = capsys.readouterr().err
    assert shown.strip() == "Interrupted." and "Traceback" not in shown
