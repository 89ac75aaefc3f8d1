"""Delivery end to end: per-token destinations, failures told truthfully, cleanup,
the destination as the unit (each holds one whole token; a token no destination
took is deleted again, one some took is kept with the old), kill -9 and Ctrl-C,
folders left as found and git asked before a secret file is written.

A failing delivery command (issue 11, defect 6) used to be misreported: its
output was thrown away, the summary said `0 created` although the token
existed, and its grants said "its token was not created".
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.test_command import gone
from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
    accesses:
      organization: [read_databases]
  other: {}
"""


def state(workdir: Path) -> dict[str, dict[str, object]]:
    tokens: dict[str, dict[str, object]] = json.loads(
        (workdir / "state" / "acme.json").read_text()
    )["tokens"]
    return tokens


def echoing_failure(workdir: Path, key: str = "ci") -> str:
    """A command that, for `key`, prints the secret back (verbatim, folded and
    base64) with an API error on stderr, then fails; it succeeds for others."""
    script = workdir / "deliver.sh"
    script.write_text(
        "#!/bin/sh\n"
        "secret=$(cat)\n"
        f'printf "%s" "$secret" > "{workdir}/$PSTOKENS_TOKEN_KEY.secret"\n'
        f'[ "$PSTOKENS_TOKEN_KEY" = "{key}" ] || exit 0\n'
        'echo "sending $secret" >&2\n'
        'printf "%s" "$secret" | fold -w 9 >&2; echo >&2\n'
        'printf "%s" "$secret" | base64 >&2\n'
        'echo "gh: HTTP 403: Resource not accessible by integration" >&2\n'
        "exit 1\n"
    )
    script.chmod(0o700)
    return str(script)


def test_a_failing_secrets_command_is_reported_truthfully(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)

    failed = cli("apply", "--auto-approve", "--secrets-command", echoing_failure(workdir))

    assert failed.code == 1
    secret = (workdir / "ci.secret").read_text()
    assert secret not in failed.both and secret[11:20] not in failed.both
    assert base64.b64encode(secret.encode()).decode()[:20] not in failed.both
    # Delivered nowhere: the token was deleted again, and said so.
    assert emulator.by_name("ci") == [] and "ci" not in state(workdir)
    assert ", not delivered: command " in failed.err
    assert "exited with status 1 for 'ci'; it printed: sending **********" in failed.err
    assert ("| gh: HTTP 403: Resource not accessible by integration; "
            "deleted again\n") in failed.err
    assert "] on the organization: granted" in failed.out  # granted before any delivery
    assert "done so far: 1 created, 0 replaced, 0 deleted" in failed.err

    plan = json.loads(cli("plan", "--format", "json").out)
    assert [(c["action"], c["key"]) for c in plan["changes"]
            if c["action"] != "grant"] == [("create", "ci")]
    assert cli("apply", "--auto-approve").code == 0
    assert len(emulator.by_name("ci")) == 1
    assert cli("plan", "--detailed-exitcode").code == 0


def test_each_token_goes_where_its_deliver_says_and_others_use_the_flag(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    own = f"  ci:\n    deliver:\n      - dir: own\n      - command: cat > {workdir}/ci.txt\n"
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", own))
    result = cli("apply", "--auto-approve", "--secrets-dir", "flag")
    assert result.code == 0, result.both
    assert sorted(secrets_in(workdir / "own")) == ["ci"]
    assert sorted(secrets_in(workdir / "flag")) == ["other"]
    assert (workdir / "ci.txt").read_text() == secrets_in(workdir / "own")["ci"]
    assert all(s not in result.both for s in secrets_in(workdir).values())


def test_a_destination_failing_after_another_leaves_the_token_partly_delivered(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    own = "  ci:\n    deliver:\n      - dir: own\n      - command: cat >/dev/null; exit 9\n"
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", own))
    failed = cli("apply", "--auto-approve")
    assert failed.code == 1
    [token] = emulator.by_name("ci")
    assert "exited with status 9 for 'ci' (it printed nothing)" in failed.err
    assert (f"own/acme/ci.env now hold {token['id']}, command \"cat >/dev/null; exit 9\" "
            f"hold nothing; {token['id']} is kept and the next plan replaces {token['id']}"
            ) in failed.err
    assert "both tokens" not in failed.err  # a new key: there was no other token
    # The destination that took it holds ID and secret together.
    assert f"PLANETSCALE_SERVICE_TOKEN_ID={token['id']}\n" in working_file(workdir)
    ci = state(workdir)["ci"]
    assert ci["delivered"] is False
    assert ci["held_by"] == {token["id"]: ["own/acme/ci.env"]}
    assert state(workdir)["other"]["delivered"] is True

    plan = cli("plan")
    assert (f"-/+ ci  id {token['id']}  (its secret reached only some of its destinations; "
            "a new token goes to all of them)") in plan.out
    # The second trial: the command still fails. It never held the first token, so
    # the error must not say it does.
    again = cli("apply", "--auto-approve")
    assert again.code == 1
    second = next(t for t in emulator.by_name("ci") if t["id"] != token["id"])
    assert (f"own/acme/ci.env now hold {second['id']}, command \"cat >/dev/null; exit 9\" "
            "hold nothing; both tokens are kept") in again.err, again.err
    assert "still hold" not in again.err
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", FIRST))
    assert cli("apply", "--auto-approve").code == 0
    [new] = emulator.by_name("ci")
    assert new["id"] != token["id"]
    assert f"PLANETSCALE_SERVICE_TOKEN_ID={new['id']}\n" in working_file(workdir)
    assert cli("plan", "--detailed-exitcode").code == 0


def test_a_destination_that_keeps_failing_warns_as_live_tokens_pile_up(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    """Each apply keeps one more partly delivered token: past one extra, plans say so."""
    own = "  ci:\n    deliver:\n      - dir: own\n      - command: cat >/dev/null; exit 9\n"
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", own))
    for live in (1, 2, 3):
        assert cli("apply", "--auto-approve").code == 1
        assert len(emulator.by_name("ci")) == live
        plan = cli("plan", "--format", "json")
        warnings = [w for w in json.loads(plan.out)["warnings"]
                    if w["kind"] == "tokens_piling_up"]
        text = cli("plan").out
        if live < 3:  # the token and the one it replaces: expected
            assert warnings == [] and "live tokens" not in text
            continue
        ids = sorted(t["id"] for t in emulator.by_name("ci"))
        assert [(w["key"], w["token_ids"]) for w in warnings] == [("ci", ids)]
        assert (f"ci: 3 live tokens ({', '.join(ids)}): its secret keeps reaching only some "
                "of its destinations") in " ".join(text.split())

def test_a_hanging_command_is_stopped_and_named(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "  ci:\n", "  ci:\n    deliver:\n      - command: cat >/dev/null; sleep 60\n"
        "        timeout: 1s\n"
    ))
    failed = cli("apply", "--auto-approve")
    assert failed.code == 1
    assert "did not finish within 1 s for 'ci' and was stopped" in failed.both
    assert "ci" not in state(workdir) and emulator.by_name("ci") == []


def test_a_deleted_tokens_secret_file_is_removed(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "  ci:\n", "  ci:\n    deliver:\n      - dir: own\n"
    ))
    assert cli("apply", "--auto-approve").code == 0
    assert cli("apply", "--auto-approve", "--replace", "ci", "--replace", "other").code == 0
    before = {**secrets_in(workdir / "own"), **secrets_in(workdir / ".pstokens" / "secrets")}
    assert sorted(before) == ["ci", "other"]  # a replacement keeps the new secret's file

    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens: {}\n")
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.both
    assert emulator.tokens() == []
    assert list((workdir / "own").rglob("*.env")) == []
    assert list((workdir / ".pstokens" / "secrets").rglob("*.env")) == []


# -- each destination whole, whatever the order, whatever stops the run ---------

FIRST = "  ci:\n    deliver:\n      - dir: own\n"


def working_file(workdir: Path) -> str:
    return (workdir / "own" / "acme" / "ci.env").read_text()


def staged_copies(workdir: Path) -> list[Path]:
    return [p for p in workdir.rglob("*.tmp") if ".env." in p.name]  # not state's own


@pytest.mark.parametrize("entries", [
    ["dir: own", "command: cat >/dev/null; exit 3"],
    ["command: cat >/dev/null; exit 3", "dir: own"],
])
def test_a_failing_replacement_leaves_each_destination_holding_one_working_token(
    cli: Cli, emulator: Emulator, workdir: Path, entries: list[str]
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", FIRST))
    assert cli("apply", "--auto-approve").code == 0
    working = working_file(workdir)
    [old] = emulator.by_name("ci")

    listed = "".join(f"      - {e}\n" for e in entries)
    write_config(workdir / "pstokens.yaml",
                 CONFIG.replace("  ci:\n", f"  ci:\n    deliver:\n{listed}"))
    failed = cli("apply", "--auto-approve", "--replace", "ci")
    assert failed.code == 1
    assert "exited with status 3 for 'ci'" in failed.err
    assert staged_copies(workdir) == []
    live = {t["id"] for t in emulator.by_name("ci")}
    assert old["id"] in live  # the old token still works
    if entries[0].startswith("command"):  # nothing took the new token: it is gone
        assert live == {old["id"]} and working_file(workdir) == working
    else:  # the folder took it, whole, before the command failed: both are kept
        [new] = live - {old["id"]}
        assert f"PLANETSCALE_SERVICE_TOKEN_ID={new}\n" in working_file(workdir)
        # The command was added with this change: it never held the old token either.
        assert f"now hold {new}" in failed.err and "exit 3\" hold nothing" in failed.err


class Fifo:
    """A named pipe a delivery command writes to when it runs: the test waits on
    it instead of a clock. Opened read-write, so neither side blocks on open."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self._fd = os.open(path, os.O_RDWR)

    def line(self, process: subprocess.Popen[str]) -> str:
        ready, _, _ = select.select([self._fd], [], [], 120)
        assert ready, f"the delivery command never ran: {process.communicate(timeout=60)}"
        return os.read(self._fd, 256).decode().strip()

    def close(self) -> None:
        os.close(self._fd)


@pytest.fixture
def fifo(workdir: Path) -> Iterator[Fifo]:
    pipe = Fifo(workdir / "ran")
    yield pipe
    pipe.close()


def blocking(fifo: Fifo) -> str:
    """A deliver entry that reads the secret, says its process group on the fifo
    and waits to be stopped."""
    return f"      - command: cat >/dev/null; echo $$ > {fifo.path}; exec sleep 120\n"


def pstokens(workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pstokens", *args], cwd=workdir, env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def stop_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def test_a_kill_9_while_the_command_runs_leaves_each_destination_a_working_token(
    cli: Cli, emulator: Emulator, workdir: Path, fifo: Fifo
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", FIRST))
    assert cli("apply", "--auto-approve").code == 0
    [old] = emulator.by_name("ci")

    write_config(workdir / "pstokens.yaml",
                 CONFIG.replace("  ci:\n", FIRST + blocking(fifo)))
    run = pstokens(workdir, "apply", "--auto-approve", "--replace", "ci")
    group = int(fifo.line(run))
    try:
        # The folder, first in the list, already holds the new token, whole and
        # verified; the command second in the list is still running.
        held = working_file(workdir)
        run.kill()
        run.communicate(timeout=60)
    finally:
        stop_group(group)
    assert working_file(workdir) == held
    live = {t["id"] for t in emulator.by_name("ci")}
    [new] = live - {old["id"]}
    assert f"PLANETSCALE_SERVICE_TOKEN_ID={new}\n" in held and old["id"] in live

    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", FIRST))
    assert cli("apply", "--auto-approve").code == 0
    [token] = emulator.by_name("ci")
    assert f"PLANETSCALE_SERVICE_TOKEN_ID={token['id']}\n" in working_file(workdir)
    assert staged_copies(workdir) == []
    assert cli("plan", "--detailed-exitcode").code == 0


def test_ctrl_c_during_delivery_says_which_tokens_exist_and_who_holds_them(
    cli: Cli, emulator: Emulator, workdir: Path, fifo: Fifo
) -> None:
    write_config(workdir / "pstokens.yaml",
                 CONFIG.replace("  ci:\n", "  ci:\n    deliver:\n" + blocking(fifo)))
    run = pstokens(workdir, "apply", "--auto-approve")
    group = int(fifo.line(run))
    try:
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        stop_group(group)
    [token] = emulator.by_name("ci")
    assert "Apply was interrupted. New tokens as it left them:\n" in err
    assert f"  ci: {token['id']} exists, verified, delivered nowhere\n" in err
    [other] = emulator.by_name("other")
    assert (f"  other: {other['id']} exists, held by .pstokens/secrets/acme/other.env\n"
            in err) or "other:" not in err  # done before, or stopped with the run
    assert run.returncode == 130 and "Traceback" not in err
    assert state(workdir)["ci"]["delivered"] is False
    assert gone(group)  # the command was stopped with the run


def test_ctrl_c_after_a_folder_took_the_token_records_it_and_the_file_goes_with_it(
    cli: Cli, emulator: Emulator, workdir: Path, fifo: Fifo
) -> None:
    """The second trial: interrupted while a command ran after a `dir:` took the
    token, state forgot the folder: the next plan said "never delivered" and the
    delete left the folder's .env behind."""
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "  ci:\n", "  ci:\n    deliver:\n      - dir: own\n" + blocking(fifo)))
    run = pstokens(workdir, "apply", "--auto-approve")
    group = int(fifo.line(run))
    try:
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        stop_group(group)
    assert run.returncode == 130, err
    [token] = emulator.by_name("ci")
    assert state(workdir)["ci"]["held_by"] == {token["id"]: ["own/acme/ci.env"]}
    plan = cli("plan")
    assert "reached only some of its destinations" in plan.out, plan.out
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "  ci:\n    accesses:\n      organization: [read_databases]\n", ""))
    assert cli("apply", "--auto-approve").code == 0
    assert emulator.by_name("ci") == []
    assert not (workdir / "own" / "acme" / "ci.env").exists()


def test_a_command_leaving_a_detached_grandchild_ends_in_the_usual_lines(
    emulator: Emulator, cli: Cli, workdir: Path
) -> None:
    pids = workdir / "left"
    detach = (f"      - command: cat >/dev/null; setsid sleep 120 & echo $! > {pids}\n"
              "        timeout: 10s\n")
    write_config(workdir / "pstokens.yaml",
                 CONFIG.replace("  ci:\n", "  ci:\n    deliver:\n" + detach))
    run = pstokens(workdir, "apply", "--auto-approve")
    try:
        out, err = run.communicate(timeout=120)
    finally:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            os.kill(int(pids.read_text()), signal.SIGKILL)
    assert run.returncode == 0, err
    assert "Traceback" not in out + err and "Event loop is closed" not in out + err
    assert out.rstrip().splitlines()[-1].startswith("Apply complete! 2 created")
    assert state(workdir)["ci"]["delivered"] is True


# -- folders left as found, and git asked first ---------------------------------


@pytest.fixture
def repo(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")  # no global excludes file
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(workdir, "init", "-q")
    return workdir


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def test_secrets_dir_dot_in_a_repository_leaves_the_folder_and_git_clean(
    cli: Cli, emulator: Emulator, repo: Path
) -> None:
    write_config(repo / "pstokens.yaml", CONFIG)
    repo.chmod(0o755)
    result = cli("apply", "--auto-approve", "--secrets-dir", ".")
    assert result.code == 0, result.both
    assert stat.S_IMODE(repo.stat().st_mode) == 0o755
    assert not (repo / ".gitignore").exists()
    assert (repo / "acme" / ".gitignore").read_text() == "*\n"  # the folder it made
    git(repo, "add", "-A")
    assert ".env" not in git(repo, "ls-files")


def test_a_secret_file_git_would_not_ignore_is_not_written_and_the_token_is_undelivered(
    cli: Cli, emulator: Emulator, repo: Path
) -> None:
    (repo / "shared" / "acme").mkdir(parents=True)
    (repo / "shared" / ".gitignore").write_text("notes.txt\n")  # its own, no rule for us
    write_config(repo / "pstokens.yaml",
                 CONFIG.replace("  ci:\n", "  ci:\n    deliver:\n      - dir: shared\n"))
    failed = cli("apply", "--auto-approve")
    assert failed.code == 1
    assert (f"did not write shared/acme/ci.env: it is in the git work tree {repo} and git "
            "would not ignore it; add the line `/shared/acme/` to "
            f"{repo}/.gitignore; deleted again") in failed.err
    assert list((repo / "shared" / "acme").iterdir()) == []
    assert "ci" not in state(repo) and emulator.by_name("ci") == []
    assert (repo / "shared" / ".gitignore").read_text() == "notes.txt\n"

    (repo / ".gitignore").write_text("/shared/acme/\n")
    assert cli("apply", "--auto-approve").code == 0
    assert sorted(secrets_in(repo / "shared")) == ["ci"]
    git(repo, "add", "-A")
    assert ".env" not in git(repo, "ls-files")
