"""Two applies on one S3 state: one proceeds, the other is refused at once naming it.

Real processes, a real emulator and moto's S3 server. The emulator holds the
first create until the test lets it go, so the first run still holds the lock
when the second starts. moto checks `If-None-Match` without a lock of its own,
so two creates of the lock racing within microseconds could both win there
(S3 lets exactly one win); this test therefore never races them: A holds,
then B is refused. The stale-ETag refusal is in tests/s3/test_s3_state.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.reliability.conftest import (
    SUBPROCESS_TIMEOUT,
    LeakGuard,
    check_organization,
    mirror_s3_state,
    pstokens_command,
    subprocess_env,
)
from tests.reliability.test_concurrency import CONFIG, Gate, gate
from tests.s3server import CREDENTIALS, S3

__all__ = ["gate"]


def start(workdir: Path, url: str, remote: S3, *args: str) -> subprocess.Popen[str]:
    env = subprocess_env(url, PSTOKENS_STATE=remote.url(), **remote.env())
    return subprocess.Popen(pstokens_command(*args), cwd=workdir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str], guard: LeakGuard) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    guard.text("pstokens (S3 state)", out + err)
    assert not any(c in out + err for c in CREDENTIALS)
    return process.returncode, out, err


def test_two_applies_on_one_s3_state_exactly_one_proceeds_the_other_names_it(
    gate: Gate, tmp_path: Path, s3: S3, leak_guard: LeakGuard
) -> None:
    (tmp_path / "pstokens.yaml").write_text(CONFIG)
    first = start(tmp_path, gate.url, s3, "apply", "--auto-approve")
    assert gate.arrived.wait(SUBPROCESS_TIMEOUT)  # it holds the S3 lock, mid-create
    holder = json.loads(s3.get("pstokens/acme.json.lock") or b"{}")

    second = start(tmp_path, gate.url, s3, "apply", "--auto-approve")
    code, out, err = finish(second, leak_guard)
    assert first.poll() is None  # it cannot finish before the gate opens
    gate.open()
    won = finish(first, leak_guard)

    assert code == 1 and out == ""
    assert err.startswith(f"Error: state {s3.url()} is locked by {holder['who']} "
                          "(pstokens apply, since "), err
    assert f"lock ID {holder['id']}" in err
    assert "Traceback" not in err
    assert won[0] == 0, won
    assert len(gate.store.tokens("acme")) == 2  # made once, by the run that held the lock
    assert "pstokens/acme.json.lock" not in s3.names()  # released
    state_path = tmp_path / "state" / "acme.json"
    mirror_s3_state(s3, "pstokens/acme.json", state_path, leak_guard)
    verdict = check_organization(gate.store, "acme", tmp_path / "pstokens.yaml", state_path,
                                 managed_names={"ci", "auditor"})
    assert verdict.problems == []
