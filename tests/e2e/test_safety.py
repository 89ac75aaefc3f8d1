"""Issue 11's safety promises, end to end: the CLI against the emulator over loopback.

Each test is one defect found by trying pstokens as a new user would; each
failed before the engine took over the rules that guard a run.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from tests.e2e.conftest import Cli, Emulator, write_config

TWO = """\
organization: acme
tokens:
  app:
    accesses:
      databases:
        app-prod: [read_branch]
  other:{flag}
    accesses:
      organization: [read_databases]
"""

NO_CHANGES = "No changes. The organization matches the configuration."


def config(workdir: Path, *, flag: str = "", drop_other: bool = False) -> None:
    body = TWO.format(flag=f"\n    prevent_destroy: {flag}" if flag else "")
    if drop_other:
        body = body[: body.index("  other:")]
    write_config(workdir / "pstokens.yaml", body)


# 1. prevent_destroy changed after create reaches state.

def test_prevent_destroy_added_after_create_protects_the_token_once_applied(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config(workdir)
    assert cli("apply", "--auto-approve").code == 0
    config(workdir, flag="true")
    shown = cli("plan")
    assert "prevent_destroy set" in shown.out and NO_CHANGES not in shown.out
    assert "state-only change" in shown.out.splitlines()[-1]
    emulator.reset_stats()
    assert cli("apply", "--auto-approve").code == 0
    state = json.loads((workdir / "state" / "acme.json").read_text())
    assert state["tokens"]["other"]["prevent_destroy"] is True
    assert all(route.startswith("GET") for route in emulator.stats()["by_route"])
    config(workdir, drop_other=True)
    removed = cli("plan", "--format", "json")
    plan = json.loads(removed.out)
    assert plan["changes"] == []
    assert [(s["key"], s["kind"]) for s in plan["skipped"]] == [("other", "delete")]
    assert cli("apply", "--auto-approve").code == 0
    assert len(emulator.by_name("other")) == 1


def test_prevent_destroy_cleared_then_key_removed_deletes_the_token(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config(workdir, flag="true")
    assert cli("apply", "--auto-approve").code == 0
    config(workdir, flag="false")
    assert cli("apply", "--auto-approve").code == 0
    config(workdir, drop_other=True)
    assert cli("apply", "--auto-approve").code == 0
    assert emulator.by_name("other") == []


# 3. A skipped change is a difference; --replace of a protected token is an error.

def test_an_expired_protected_token_fails_the_drift_check(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config(workdir, flag="true")
    assert cli("apply", "--auto-approve").code == 0
    token = emulator.by_name("other")[0]
    emulator.store.set_times("acme", token["id"], expires_at=datetime.now(UTC) - timedelta(1))
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 2
    assert "replacement (expired) skipped: prevent_destroy is set" in result.out
    assert "No changes" not in result.out
    assert result.out.splitlines()[-1].endswith("; 1 change skipped (prevent_destroy).")
    plan = json.loads(cli("plan", "--format", "json").out)
    assert plan["skipped"][0]["cause"] == "expired"


def test_replace_of_a_protected_token_is_refused_before_any_call(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config(workdir, flag="true")
    assert cli("apply", "--auto-approve").code == 0
    emulator.reset_stats()
    for command in ("plan", "apply"):
        result = cli(command, "--replace", "other", "--auto-approve"
                     if command == "apply" else "--detailed-exitcode")
        assert result.code == 1
        assert "prevent_destroy is set" in result.err and "Traceback" not in result.err
    assert emulator.stats()["total"] == 0


def test_replace_of_a_key_outside_target_is_refused_before_any_call(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    """`--replace` of a key that `--target` leaves out would be silently ignored."""
    config(workdir)
    assert cli("apply", "--auto-approve").code == 0
    emulator.reset_stats()
    for command in ("plan", "apply"):
        result = cli(command, "--target", "app", "--replace", "other", "--auto-approve"
                     if command == "apply" else "--detailed-exitcode")
        assert result.code == 1, result.both
        assert "--replace other is outside --target" in result.err, result.err
        assert "Hint: " in result.err and "--target other" in result.err
        assert "Traceback" not in result.err
    assert emulator.stats()["total"] == 0


# 4. A saved plan records its targets, replacements and config digest.

def test_a_saved_plan_with_target_and_replace_can_be_applied(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config(workdir)
    assert cli("plan", "--target", "app", "--out", "p.json").code == 0
    saved = json.loads((workdir / "p.json").read_text())
    assert saved["targets"] == ["app"] and saved["config_digest"].startswith("sha256:")
    applied = cli("apply", "p.json")
    assert applied.code == 0, applied.err
    assert [t["name"] for t in emulator.tokens()] == ["app"]
    old = emulator.by_name("app")[0]["id"]
    assert cli("plan", "--replace", "app", "--target", "app", "--out", "r.json").code == 0
    assert cli("apply", "r.json").code == 0
    assert [t["id"] for t in emulator.by_name("app")] != [old]


def test_a_stale_saved_plan_says_what_moved(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    config(workdir)
    assert cli("plan", "--out", "p.json").code == 0
    config(workdir, flag="true")
    moved = cli("apply", "p.json")
    assert moved.code == 1 and "the configuration changed" in moved.err
    assert "tokens.other.prevent_destroy changed from false to true" in moved.err
    config(workdir)
    assert cli("apply", "--auto-approve").code == 0
    moved = cli("apply", "p.json")
    assert moved.code == 1 and "the state changed" in moved.err
    # The organization moves: someone revokes an access by hand after the plan.
    write_config(workdir / "pstokens.yaml", TWO.format(flag="").replace(
        "[read_branch]", "[read_branch, create_branch]"))
    assert cli("plan", "--out", "q.json").code == 0
    app = emulator.by_name("app")[0]["id"]
    emulator.store.grant("acme", app, ["create_branch"], "app-prod")
    moved = cli("apply", "q.json")
    assert moved.code == 1 and "the organization changed" in moved.err
    assert "app gained create_branch on app-prod outside pstokens" in moved.err
    assert "configuration" not in moved.err and "state" not in moved.err.split("Hint")[0]


# 5. Names from the API never drive a terminal or a job summary.

FAKE = "\n\nNo changes. The organization matches the configuration."


def test_hostile_token_names_are_escaped_in_text_and_markdown(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens: {}\n")
    for name in ("x" + FAKE, "\x1b[31mred\x1b]0;title\x07", "<b>bold</b> | cell | @team"):
        emulator.store.create_token("acme", name)
    text = cli("plan").out
    assert "\x1b" not in text and "\x07" not in text
    # No line is the result line: neither faked nor (with unmanaged tokens) real.
    assert NO_CHANGES not in text.splitlines()
    assert "\\x1b[31mred" in text
    markdown = cli("plan", "--format", "markdown").out
    assert "<b>" not in markdown and "&lt;b&gt;bold&lt;/b&gt;" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    for row in rows:  # every row keeps its columns: a name's pipes are escaped
        assert len(re.findall(r"(?<!\\)\|", row)) == 3
    assert "@team" not in markdown


# 8. A second token of the same name is never made silently, nor a namesake deleted.

def test_creating_a_key_named_like_an_unmanaged_token_warns_with_the_import_command(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    config(workdir)
    existing, _ = emulator.store.create_token("acme", "app")
    result = cli("plan")
    assert f"pstokens import app {existing['id']}" in click.unstyle(result.out)
    plan = json.loads(cli("plan", "--format", "json").out)
    assert plan["warnings"][0]["kind"] == "namesake"
    assert plan["warnings"][0]["token_ids"] == [existing["id"]]


def test_deleting_an_unmanaged_namesake_of_a_key_needs_force(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    body = TWO.format(flag="").replace("tokens:\n", "unmanaged:\n  policy: delete\ntokens:\n")
    write_config(workdir / "pstokens.yaml", body)
    assert cli("apply", "--auto-approve").code == 0
    # A teammate's state predates that apply: to it, `app` is new and unmanaged.
    (workdir / "state" / "acme.json").rename(workdir / "teammate-was-ahead.json")
    refused = cli("apply", "--auto-approve")
    assert refused.code == 1
    assert "named like key app" in refused.out or "config key 'app'" in refused.err
    assert "--force" in refused.err
    assert len(emulator.by_name("app")) == 1 and len(emulator.by_name("other")) == 1


# 9. Wording: counts agree in number, and an unmanaged delete says why once.

def test_one_access_is_singular_and_an_unmanaged_delete_says_why_once(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", """\
organization: acme
unmanaged:
  policy: delete
tokens:
  solo:
    accesses:
      organization: [read_databases]
""")
    emulator.store.create_token("acme", "stray")
    out = click.unstyle(cli("plan").out)
    assert out.splitlines()[-1] == (
        "Plan: 1 to create, 0 to replace, 1 to delete, 1 access to grant, 0 to revoke."
    )
    stray = next(line for line in out.splitlines() if "stray" in line)
    assert stray.count("unmanaged") == 2  # "(unmanaged)" and "unmanaged.policy is delete"
    assert "(unmanaged, and unmanaged.policy is delete)" not in out
