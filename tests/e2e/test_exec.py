"""`pstokens exec` and `lease list|sweep` against the emulator, one test per promise of
PRODUCT.md's "Short-lived tokens" (and exec's bad input)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pstokens.emulator import EmulatorSettings, running_emulator
from tests.e2e.conftest import API_KEY, Cli, Emulator, write_config

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("exec_probe.py")
CONFIG = """\
organization: acme
rules:
  max_ttl: 1h
tokens:
  ci-deploy:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
        app-staging: [read_branch]
"""
ACCESSES = [["", "read_databases"], ["app-prod", "create_deploy_request"],
            ["app-prod", "read_branch"], ["app-staging", "read_branch"]]
LEASE_NAME = re.compile(r"ci-deploy\+lease-[a-z0-9]{8}")


@pytest.fixture
def project(workdir: Path) -> Path:
    write_config(workdir / "pstokens.yaml", CONFIG)
    return workdir


def probe(report: Path, status: int = 0, mode: str = "") -> list[str]:
    return [sys.executable, str(PROBE), str(report), str(status), *([mode] if mode else [])]


def state_of(root: Path) -> dict[str, Any]:
    path = root / "state" / "acme.json"
    return json.loads(path.read_text()) if path.exists() else {}


def leases_in(emulator: Emulator) -> list[dict[str, Any]]:
    return [t for t in emulator.tokens() if "+lease-" in (t["name"] or "")]


def test_exec_runs_command_with_a_lease_holding_exactly_the_keys_accesses(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    emulator.reset_stats()
    report = project / "report.json"
    result = cli("exec", "ci-deploy", "--", *probe(report, 3))
    assert result.code == 3, result.both  # COMMAND's status
    seen = json.loads(report.read_text())
    assert LEASE_NAME.fullmatch(seen["name"])
    assert seen["ttl"] == 15 * 60  # the default
    assert seen["accesses"] == ACCESSES
    assert seen["organizations"] == [200, ["acme"]]  # the lease works
    # The lease's credentials and the organization; none of pstokens' own.
    assert (seen["secret_set"], seen["org"], seen["api_key_set"]) == (True, "acme", False)
    # Recorded in state while COMMAND ran: ID, key, expiry; never the secret.
    recorded = seen["state"]["leases"][seen["name"]]
    assert (recorded["id"], recorded["key"]) == (seen["token_id"], "ci-deploy")
    assert recorded["expires_at"] is not None
    assert "pscale_tkn_" not in json.dumps(seen["state"])
    # Gone when COMMAND ended: from PlanetScale and from state.
    assert leases_in(emulator) == []
    assert state_of(project).get("leases") is None
    assert f"lease {seen['name']} deleted" in result.err
    assert "pscale_tkn_" not in result.both
    # The minimum calls: 1 create, 1 grant per scope, 1 verification, 1 delete.
    assert emulator.calls("POST /v1/organizations/{organization}/service-tokens") == 1
    assert emulator.calls("POST /v1/organizations/{organization}/service-tokens/{token_id}"
                          "/access") == 3
    assert emulator.calls("DELETE /v1/organizations/{organization}/service-tokens/{token_id}") == 1


def test_exec_verifies_the_lease_before_command_runs(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    emulator.reset_stats()
    assert cli("exec", "ci-deploy", "--", "true").code == 0
    # Verification by pstokens, as the lease, through a GET its grants allow on its
    # first database, as apply verifies (the probe makes no call here).
    assert emulator.calls("GET /v1/organizations/{organization}/databases/{database}/"
                          "throttler") == 1
    assert emulator.calls("GET /v1/organizations") == 0


def test_ttl_is_what_exec_was_given(cli: Cli, emulator: Emulator, project: Path) -> None:
    report = project / "report.json"
    assert cli("exec", "ci-deploy", "--ttl", "30m", "--", *probe(report)).code == 0
    assert json.loads(report.read_text())["ttl"] == 30 * 60


@pytest.mark.parametrize(("args", "words"), [
    (["exec", "nope", "--", "true"], "'nope' is not a key"),
    (["exec", "ci-deploy", "true"], "needs `--` before COMMAND"),
    (["exec", "ci-deploy", "--"], "no COMMAND after `--`"),
    (["exec", "ci-deploy", "--ttl", "30s", "--", "true"], "too short: at least 1m"),
    (["exec", "ci-deploy", "--ttl", "2h", "--", "true"], "longer than rules.max_ttl (1h)"),
    (["exec", "ci-deploy", "--ttl", "soon", "--", "true"], "--ttl: bad duration"),
])
def test_bad_input_is_one_line_exit_1_and_no_call(
    cli: Cli, emulator: Emulator, project: Path, args: list[str], words: str,
) -> None:
    emulator.reset_stats()
    result = cli(*args)
    assert (result.code, result.out) == (1, "")
    assert words in result.err and "Traceback" not in result.err
    assert emulator.stats()["total"] == 0
    assert not (project / "state").exists()


def test_a_command_that_is_not_found_exits_127_and_leaves_no_lease(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    result = cli("exec", "ci-deploy", "--", "no-such-command-here", "x")
    assert result.code == 127
    assert "command not found: no-such-command-here" in result.err
    assert leases_in(emulator) == [] and state_of(project).get("leases") is None


def test_a_lease_that_fails_verification_is_deleted_and_command_never_runs(
    cli: Cli, emulator: Emulator, project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pstokens.engine.leases.lease.lease_name",
                        lambda key: f"{key}+lease-refused0")
    emulator.store.refuse(name="ci-deploy+lease-refused0")
    report = project / "report.json"
    result = cli("exec", "ci-deploy", "--", *probe(report))
    assert result.code == 1
    assert "could not make lease ci-deploy+lease-refused0" in result.err
    assert not report.exists()
    assert leases_in(emulator) == [] and "leases" not in state_of(project)


def test_a_lease_whose_grant_fails_is_deleted_and_command_never_runs(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    settings = EmulatorSettings(databases=("app-prod",))  # app-staging: 404 not_found
    with running_emulator(settings) as url:
        cli = Cli(capsys, monkeypatch, url)
        report = workdir / "report.json"
        result = cli("exec", "ci-deploy", "--", *probe(report))
        assert result.code == 1 and "could not make lease" in result.err
        assert not report.exists()
        listed = cli("lease", "list")
        assert listed.out.strip() == "No leases."
    assert "leases" not in state_of(workdir)


def test_a_command_ended_by_a_signal_exits_128_plus_n_and_the_lease_goes(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    result = cli("exec", "ci-deploy", "--", *probe(project / "r.json", 0, "kill"))
    assert result.code == 128 + signal.SIGTERM
    assert leases_in(emulator) == [] and "leases" not in state_of(project)


def start_exec(project: Path, emulator: Emulator, report: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}
    env.update(PLANETSCALE_API_URL=emulator.url, PLANETSCALE_API_KEY=API_KEY,
               PSTOKENS_RATE_LIMIT="0", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "pstokens", "exec", "ci-deploy", "--",
               *probe(report, 5, "wait")]
    return subprocess.Popen(command, cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_ready(process: subprocess.Popen[str], report: Path) -> None:
    ready = Path(str(report) + ".ready")
    deadline = time.monotonic() + 60
    while not ready.exists():  # a condition, not a timing: COMMAND says it is running
        assert process.poll() is None and time.monotonic() < deadline, process.stderr
        time.sleep(0.02)


def spawn_exec(project: Path, emulator: Emulator, report: Path) -> subprocess.Popen[str]:
    process = start_exec(project, emulator, report)
    wait_ready(process, report)
    return process


def test_parallel_execs_of_one_key_each_get_and_delete_their_own_lease(
    emulator: Emulator, project: Path,
) -> None:
    reports = [project / f"report{i}.json" for i in range(3)]
    processes = [start_exec(project, emulator, r) for r in reports]  # all at once
    for process, report in zip(processes, reports, strict=True):
        wait_ready(process, report)
    seen = [json.loads(r.read_text()) for r in reports]
    assert len({s["token_id"] for s in seen}) == 3 and len(leases_in(emulator)) == 3
    assert len(state_of(project)["leases"]) == 3  # no write lost another's lease
    for process in processes:
        process.send_signal(signal.SIGTERM)
    assert [p.communicate(timeout=60) and p.returncode for p in processes] == [5, 5, 5]
    assert leases_in(emulator) == [] and "leases" not in state_of(project)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_go_to_command_and_the_lease_is_deleted_after(
    emulator: Emulator, project: Path, sig: signal.Signals,
) -> None:
    report = project / "report.json"
    process = spawn_exec(project, emulator, report)
    assert len(leases_in(emulator)) == 1
    process.send_signal(sig)
    _out, err = process.communicate(timeout=60)
    assert Path(str(report) + ".signal").read_text() == str(int(sig))  # passed on
    assert process.returncode == 5, err  # COMMAND handled it and exited 5
    assert leases_in(emulator) == [] and "leases" not in state_of(project)


def test_a_lease_left_by_a_killed_exec_is_listed_then_planned_for_deletion_and_swept(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    report = project / "report.json"
    process = spawn_exec(project, emulator, report)
    process.kill()  # kill -9: nothing deletes the lease
    process.wait(timeout=60)  # (COMMAND, orphaned, still holds the pipes)
    for stream in (process.stdout, process.stderr):
        assert stream is not None
        stream.close()
    (lease,) = leases_in(emulator)
    seen = json.loads(report.read_text())
    try:
        plan = cli("plan")
        assert "Leases (short-lived tokens of `pstokens exec`" in plan.out
        assert lease["name"] in plan.out and "Unmanaged" not in plan.out
        data = json.loads(cli("plan", "--format", "json").out)
        assert data["unmanaged"] == [] and data["drift"] == []
        assert [v["token_id"] for v in data["leases"]] == [lease["id"]]
        assert "[live]" in cli("lease", "list").out
        assert cli("lease", "sweep").out.strip() == "Swept: 0 deleted, 0 forgotten, 1 kept."

        # Past its ttl: the plan deletes it, and says so (never "No changes").
        emulator.store.set_times("acme", lease["id"],
                                 expires_at=datetime.now(UTC) - timedelta(seconds=1))
        data = json.loads(cli("plan", "--format", "json").out)
        delete = [c for c in data["changes"] if c["token_id"] == lease["id"]]
        assert [(c["action"], c["cause"]) for c in delete] == [("delete", "lease_expired")]
        text = cli("plan").out
        assert "No changes" not in text and f"\"{lease['name']}\" (lease)" in text
        assert "[expired]" in cli("lease", "list").out
        swept = cli("lease", "sweep")
        assert swept.code == 0 and "Swept: 1 deleted" in swept.out
        assert leases_in(emulator) == [] and "leases" not in state_of(project)
        assert cli("lease", "list").out.strip() == "No leases."
    finally:
        os.kill(_probe_pid(seen), signal.SIGTERM)


def _probe_pid(seen: dict[str, Any]) -> int:
    return int(seen["pid"])


def test_apply_deletes_an_expired_lease_and_sweep_all_deletes_live_ones(
    cli: Cli, emulator: Emulator, project: Path,
) -> None:
    for name in ("ci-deploy+lease-aaaaaaaa", "ci-deploy+lease-bbbbbbbb"):
        emulator.store.create_token("acme", name, 900)
    old = leases_in(emulator)[0]
    emulator.store.set_times("acme", old["id"],
                             expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert cli("apply", "--auto-approve").code == 0
    assert [t["name"] for t in leases_in(emulator)] == ["ci-deploy+lease-bbbbbbbb"]
    swept = cli("lease", "sweep", "--all")
    assert swept.code == 0 and "Swept: 1 deleted" in swept.out
    assert leases_in(emulator) == []
