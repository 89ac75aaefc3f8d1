"""`pstokens show PLANFILE` and `pstokens state mv` on a local state, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from filelock import FileLock

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
  auditor:
    accesses:
      organization: [read_audit_logs]
"""


def test_show_renders_a_saved_plan_in_each_format_without_config_or_api(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    text = cli("plan", "--out", "plan.json")
    markdown = cli("plan", "--format", "markdown")
    full = cli("plan", "--format", "json", "--out", "same.json").out  # the same plan, saved
    (workdir / "pstokens.yaml").unlink()  # show needs neither config nor state
    emulator.reset_stats()

    shown = cli("show", "plan.json")
    assert shown.code == 0, shown.both
    assert shown.out == text.out.split("\nSaved the plan to")[0]
    assert "Plan: 2 to create" in shown.out
    # The saved file is compact (docs/plans.md, "Saved plans"); show prints it in full.
    assert json.loads(cli("show", "same.json", "--format", "json").out) == json.loads(full)
    assert cli("show", "plan.json", "--format", "markdown").out == markdown.out
    assert emulator.stats()["total"] == 0


def test_show_refuses_a_missing_or_broken_plan_file(cli: Cli, workdir: Path) -> None:
    missing = cli("show", "nope.json")
    assert missing.code == 1 and "cannot read plan file nope.json" in missing.err
    (workdir / "bad.json").write_text("{not json")
    broken = cli("show", "bad.json")
    assert broken.code == 1 and "plan file bad.json is not valid JSON" in broken.err
    assert "Traceback" not in missing.both + broken.both


def test_show_of_a_plan_with_a_hostile_key_cuts_it_inside_its_quotes(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("plan", "--out", "plan.json").code == 0
    saved = json.loads((workdir / "plan.json").read_text())
    hostile = "ci\x1b[2J\x1b]0;pwn\x07\nPlan: 0 to create, 0 to change, 0 to destroy."
    saved["changes"][0]["key"] = hostile
    (workdir / "plan.json").write_text(json.dumps(saved))
    shown = cli("show", "plan.json")
    assert shown.code == 1, shown.both
    assert ('changes[0]: "ci\\x1b[2J\\x1b]0;pwn\\x07\\nPlan: 0 to create, 0 t..." is not a '
            "valid key") in shown.err, shown.err
    assert "\x1b" not in shown.both and "\nPlan:" not in shown.both


def test_state_mv_renames_a_key_and_the_renamed_config_plans_no_changes(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    token_id = emulator.by_name("ci-deploy")[0]["id"]
    emulator.reset_stats()

    moved = cli("state", "mv", "ci-deploy", "deployer")
    assert moved.code == 0, moved.both
    assert "Rename ci-deploy to deployer in pstokens.yaml too" in moved.out
    assert emulator.stats()["total"] == 0  # the token is not touched
    state = json.loads((workdir / "state" / "acme.json").read_text())
    assert state["tokens"]["deployer"]["id"] == token_id and "ci-deploy" not in state["tokens"]

    write_config(workdir / "pstokens.yaml", CONFIG.replace("ci-deploy:", "deployer:"))
    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert emulator.by_name("ci-deploy")[0]["id"] == token_id


def test_state_mv_refuses_a_taken_invalid_or_unknown_key(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    before = (workdir / "state" / "acme.json").read_bytes()

    taken = cli("state", "mv", "ci-deploy", "auditor")
    assert taken.code == 1 and "'auditor' is already in state" in taken.err
    invalid = cli("state", "mv", "ci-deploy", "Not Valid")
    assert invalid.code == 1 and "'Not Valid' is not a valid key" in invalid.err
    unknown = cli("state", "mv", "nobody", "somebody")
    assert unknown.code == 1 and "'nobody' is not in state" in unknown.err
    same = cli("state", "mv", "ci-deploy", "ci-deploy")
    assert same.code == 1 and "are the same key: there is nothing to move" in same.err
    assert "state rm" not in same.err  # following that would forget the token
    assert (workdir / "state" / "acme.json").read_bytes() == before


def test_state_unlock_on_a_local_file_says_its_lock_cannot_go_stale(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("state", "unlock", "0b5c2b8e")
    assert result.code == 1
    assert "state file state/acme.json is not locked" in result.err
    assert "S3 state" in result.err


def test_state_pull_and_push_work_between_local_files(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    pulled = cli("state", "pull")
    assert json.loads(pulled.out) == json.loads((workdir / "state" / "acme.json").read_text())
    (workdir / "copy.json").write_text(pulled.out)
    pushed = cli("--state", "moved/acme.json", "state", "push", "copy.json")
    assert pushed.code == 0, pushed.both
    plan = cli("--state", "moved/acme.json", "plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    itself = cli("state", "push", "state/acme.json")
    assert itself.code == 1 and "is the configured state itself" in itself.err


def test_state_push_says_which_keys_it_adds_removes_and_repoints_before_it_writes(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    data = json.loads(cli("state", "pull").out)
    [first, *_] = sorted(data["tokens"])
    old_id = data["tokens"][first]["id"]
    data["tokens"][first]["id"] = "abc123new"
    data["tokens"]["added-key"] = dict(data["tokens"][first], id="zz9")
    removed = sorted(data["tokens"])[-1]
    removed_id = data["tokens"].pop(removed)["id"]
    data["serial"] += 1
    (workdir / "edited.json").write_text(json.dumps(data))
    pushed = cli("state", "push", "edited.json")
    assert pushed.code == 0, pushed.both
    assert f"~ {first}  id {old_id} -> abc123new" in pushed.out
    assert "+ added-key  id zz9  (added)" in pushed.out
    assert f"- {removed}  id {removed_id}  (removed)" in pushed.out
    assert pushed.out.index("changes 3 keys") < pushed.out.index("Pushed edited.json")


def test_state_push_refuses_a_state_where_one_token_has_two_keys_or_a_key_is_bad(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    """A pushed state is untrusted: a second key on a live token's ID would make the
    next apply delete that token as a removed key's; nothing is written."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    live = json.loads(cli("state", "pull").out)
    before = (workdir / "state" / "acme.json").read_bytes()
    for key, why in (("evil-copy", "already recorded under tokens.ci-deploy"),
                     ("evil\x1b[31m\nkey", "not a valid key")):
        data = json.loads(json.dumps(live))
        data["tokens"][key] = dict(data["tokens"]["ci-deploy"])
        data["serial"] += 1
        (workdir / "edited.json").write_text(json.dumps(data))
        pushed = cli("state", "push", "edited.json")
        assert pushed.code == 1, pushed.both
        assert why in pushed.err and "\x1b" not in pushed.both
        assert (workdir / "state" / "acme.json").read_bytes() == before
    assert cli("plan", "--detailed-exitcode").code == 0


def test_state_unlock_on_a_held_local_file_names_the_running_holder(
    cli: Cli, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    lock_path = workdir / "state" / "acme.json.lock"
    lock_path.parent.mkdir()
    holder = FileLock(lock_path, mode=0o600)
    holder.acquire()
    try:
        lock_path.write_text("pid 4242 on ci (pstokens apply)")
        result = cli("state", "unlock", "0b5c2b8e")
    finally:
        holder.release()
    assert result.code == 1
    # Another host's process: pstokens cannot tell whether it still runs.
    assert ("locked by pid 4242 on ci (pstokens apply), as its lock file says (perhaps "
            "stale)") in result.err
    assert "still running" not in result.err
