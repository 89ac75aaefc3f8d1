"""`serve`'s /openapi.json tells the truth: `schemathesis run --checks all` against a
running `pstokens serve --emulator` finds nothing.

Every check schemathesis has (status codes, 405 `Allow` headers, schema-valid
requests accepted, schema-invalid ones refused, response shapes) runs over
every operation, with few examples each so the run takes seconds; the seed is
fixed, so a run is repeatable.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SERVE_TOKEN = "serve-token-for-the-openapi-check-0a1b2c3d"
BIN = Path(sys.executable).parent
EXAMPLES = "3"
SEED = "20261207"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`pstokens serve --emulator` on free loopback ports; its REST base URL."""
    (tmp_path / "pstokens.yaml").write_text("organization: acme\ntokens:\n  ci:\n    ttl: 30d\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}
    env["PSTOKENS_SERVE_TOKEN"] = SERVE_TOKEN
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        serve = subprocess.Popen(
            [str(BIN / "pstokens"), "serve", "--emulator", "--rate-limit", "0",
             "--rest-port", "0", "--mcp-port", "0"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=sink)
    try:
        found = None
        for _ in range(600):  # until it listens (a loaded machine takes seconds)
            found = re.search(r"REST adapter on (http://\S+)/v1", log.read_text())
            if found or serve.poll() is not None:
                break
            time.sleep(0.05)
        assert found, log.read_text()
        yield found.group(1)
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()


def test_schemathesis_with_every_check_finds_nothing(served: str, tmp_path: Path) -> None:
    bearer = {"Authorization": f"Bearer {SERVE_TOKEN}"}
    document = httpx.get(f"{served}/openapi.json", headers=bearer)
    assert document.status_code == 200
    (tmp_path / "openapi.json").write_bytes(document.content)
    run = subprocess.run(
        [str(BIN / "schemathesis"), "run", "openapi.json", "--url", served, "--checks", "all",
         "--max-examples", EXAMPLES, "--seed", SEED, "--no-color",
         "-H", f"Authorization: Bearer {SERVE_TOKEN}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    summary = run.stdout[run.stdout.rfind("SUMMARY"):]
    print(summary)
    assert run.returncode == 0, run.stdout[-6000:]
    assert "failures" not in summary.splitlines()[-1]
