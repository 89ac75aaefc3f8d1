"""Leases with state in S3: recorded in the object while COMMAND runs, gone after."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config
from tests.e2e.test_show_and_mv import CONFIG
from tests.s3server import S3

ROOT = Path(__file__).resolve().parents[2]
# COMMAND: copies the state object's leases, as S3 holds them while it runs.
SNAPSHOT = (
    "import json, sys; sys.path.insert(0, sys.argv[1]); from tests.s3server import S3; "
    "raw = S3(sys.argv[2], sys.argv[3]).get('pstokens/acme.json') or b'{}'; "
    "open('leases.json', 'w').write(json.dumps(json.loads(raw).get('leases')))"
)


def test_exec_records_its_lease_in_s3_state_and_removes_it(
    cli: Cli, s3: S3, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    monkeypatch.setenv("PSTOKENS_STATE", s3.url())
    result = cli("exec", "ci-deploy", "--", sys.executable, "-c", SNAPSHOT, str(ROOT),
                 s3.endpoint, s3.bucket)
    assert result.code == 0, result.both
    ((name, lease),) = json.loads((workdir / "leases.json").read_text()).items()
    assert name.startswith("ci-deploy+lease-") and lease["key"] == "ci-deploy"
    assert lease["id"] and lease["expires_at"]
    state = json.loads(s3.get("pstokens/acme.json") or b"")
    assert "leases" not in state and "pscale_tkn_" not in json.dumps(state)
    assert not (workdir / "state").exists()
