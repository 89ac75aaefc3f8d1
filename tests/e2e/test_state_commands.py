"""Adopting one token, and inspecting or editing state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pstokens.cli import commands_stategroup
from pstokens.state.model import State, TokenRecord
from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  deployer:
    accesses:
      databases:
        app-prod: [read_branch]
"""


def test_import_adopts_a_token_and_plan_fixes_only_its_accesses(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    token, _ = emulator.store.create_token("acme", "old-name")
    emulator.store.grant("acme", token["id"], ["read_branch", "delete_branch"], "app-prod")

    result = cli("import", "deployer", token["id"])
    assert result.code == 0, result.both
    assert f"Imported {token['id']} as deployer." in result.out

    plan = json.loads(cli("plan", "--format", "json").out)
    assert [(c["action"], c["token_id"], c["accesses"]) for c in plan["changes"]] == [
        ("revoke", token["id"], ["delete_branch"])
    ]
    assert plan["unmanaged"] == []
    assert plan["drift"] == []  # import records what is live: nothing drifted since


def test_import_refuses_a_key_not_in_the_config(cli: Cli, emulator: Emulator,
                                                 workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    token, _ = emulator.store.create_token("acme", "x")
    result = cli("import", "nope", token["id"])
    assert result.code == 1
    assert "'nope' is not in pstokens.yaml" in result.err
    assert emulator.stats()["total"] == 0
    assert not (workdir / "state").exists()


def test_import_of_an_unknown_id_says_it_may_be_missing_or_hidden(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("import", "deployer", "zzzzzzzzzzzz")
    assert result.code == 1
    assert "not found" in result.err and "lack" in result.err
    assert "Traceback" not in result.both


def test_state_list_show_and_rm(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    token_id = emulator.by_name("deployer")[0]["id"]

    assert cli("state", "list").out == f"deployer\t{token_id}\n"
    shown = json.loads(cli("state", "show", "deployer").out)
    assert shown["deployer"]["id"] == token_id
    assert shown["deployer"]["accesses"] == {"app-prod": ["read_branch"]}

    assert cli("state", "rm", "deployer").code == 0
    assert cli("state", "list").out == "State is empty.\n"
    assert emulator.by_name("deployer")  # the token itself is untouched
    assert cli("state", "show", "deployer").code == 1


def test_global_options_work_before_and_after_the_command(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "other.yaml", CONFIG)
    before = cli("-c", "other.yaml", "--org", "acme", "plan")
    after = cli("plan", "-c", "other.yaml", "--org", "acme")
    assert before.code == after.code == 0
    assert before.out == after.out


def test_org_flag_that_contradicts_the_config_is_refused(cli: Cli, emulator: Emulator,
                                                         workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("plan", "--org", "other")
    assert result.code == 1
    assert "acme" in result.err and "other" in result.err
    assert emulator.stats()["total"] == 0


def test_an_empty_secrets_command_is_refused_before_anything_happens(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("apply", "--auto-approve", "--secrets-command", "  ")
    assert result.code == 1
    assert "--secrets-command is empty" in result.err
    assert emulator.stats()["total"] == 0
    assert not (workdir / ".pstokens").exists() and not (workdir / "state").exists()


def test_import_of_an_id_the_api_could_not_have_given_is_refused_without_a_call(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    for bad in ("../../acme", "a/b", "x\x1b[31m", ".hidden", "a" * 101):
        result = cli("import", "deployer", bad)
        assert result.code == 1, (bad, result.both)
        assert "is not a token ID" in result.err and "\x1b" not in result.err
        assert "Traceback" not in result.both
    assert emulator.stats()["total"] == 0
    assert not (workdir / "state").exists()


def test_state_list_and_show_escape_a_key_and_id_a_state_file_smuggled_in(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    evil = "evil\x1b[31m\nkey"
    state = State("acme", "lineage", 1, {
        evil: TokenRecord(id="tok\r\x1b]0;x\x07", name="evil\nname"),
        "deployer": TokenRecord(id="abc123", name="deployer"),
    })
    monkeypatch.setattr(commands_stategroup, "_read_only", lambda: (None, state))

    listed = cli("state", "list")
    assert listed.code == 0, listed.both
    assert listed.out == ("deployer\tabc123\n"
                          '"evil\\x1b[31m\\x0akey"\ttok\\x0d\\x1b]0;x\\x07\n')
    shown = cli("state", "show", evil)
    assert shown.code == 0 and "\x1b" not in shown.out and "\r" not in shown.out
    assert list(json.loads(shown.out)) == [evil]


def test_a_damaged_file_hints_only_at_a_backup_that_exists(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    (workdir / "g.json").write_text('{"garbage":1}')
    pushed = cli("state", "push", "g.json", "--state", "elsewhere.json")
    assert pushed.code == 1 and "g.json" in pushed.err
    assert "g.json.backup" not in pushed.err and "there is no backup" not in pushed.err
    assert ("this is the file being pushed; the state at elsewhere.json is untouched"
            in pushed.err)

    assert cli("apply", "--auto-approve").code == 0
    assert cli("apply", "--auto-approve").code == 0  # a second write keeps a backup
    (workdir / "state" / "acme.json").write_text('{"garbage":1}')
    damaged = cli("plan")
    assert damaged.code == 1
    assert "state/acme.json.backup is good, `pstokens state push --force" in damaged.err


def test_pushing_a_damaged_file_says_the_file_is_bad_and_the_state_untouched(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    before = (workdir / "state" / "acme.json").read_bytes()
    (workdir / "bad.json").write_text("{not json")
    pushed = cli("state", "push", "bad.json")
    assert pushed.code == 1, pushed.both
    assert "Error: state file bad.json is not valid JSON" in pushed.err
    assert ("Hint: this is the file being pushed; the state at state/acme.json is untouched: "
            "push a good state file instead") in pushed.err
    assert "put back a good copy" not in pushed.err
    assert (workdir / "state" / "acme.json").read_bytes() == before
