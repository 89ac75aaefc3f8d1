"""`pstokens emulator` as a user starts it: it says where it serves once it can be reached."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

TIMEOUT = 60


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}


def test_a_taken_port_is_a_one_line_error_naming_the_port_option(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "pstokens", "emulator", "--port", str(port)],
            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=TIMEOUT,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert "--port" in lines[0]
    assert "serving" not in result.stderr
    assert result.stdout == ""


def test_the_serving_line_comes_once_the_port_listens_and_names_the_port_it_got(
    tmp_path: Path,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pstokens", "emulator", "--port", "0", "--org", "acme"],
        cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.fullmatch(r"pstokens emulator serving (http://127\.0\.0\.1:(\d+)/v1)\n", line)
        assert found, line
        assert int(found.group(2)) != 0
        # No waiting: the socket listens before the line is written.
        answer = httpx.get(f"{found.group(1)}/organizations/acme/service-tokens",
                           headers={"Authorization": "Bearer any"}, timeout=TIMEOUT)
        assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(TIMEOUT)
        if process.stderr is not None:
            process.stderr.close()
