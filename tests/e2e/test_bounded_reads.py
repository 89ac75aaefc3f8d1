"""Plan, state, config and policy files read bounded, as a new user met them:
`/dev/zero` or a FIFO named where a file belongs is refused at once, naming the
file (no hang, no gigabytes read, no traceback, nothing written), and a file over
its limit is refused naming the limit.

The CLI runs in a subprocess: before this was fixed a FIFO hung it forever and
`/dev/zero` ate memory, which a timeout and an address-space limit turn into a
failure rather than a stuck or starved suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero")

CONFIG = """\
organization: acme
tokens:
  ci:
    ttl: 30d
    accesses:
      databases:
        app: [read_branch]
"""
WITH_POLICY = CONFIG.replace("tokens:", "rules:\n  policies: [policy/fifo.rego]\ntokens:")
ZERO = "/dev/zero"


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PSTOKENS_", "PLANETSCALE_", "AWS_"))}
    return subprocess.run([sys.executable, "-m", "pstokens", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=_limit_memory, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pstokens.yaml").write_text(CONFIG)
    (tmp_path / "policy").mkdir()
    os.mkfifo(tmp_path / "policy" / "fifo.rego")
    (tmp_path / "with-policy.yaml").write_text(WITH_POLICY)
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


CASES = [
    (("state", "push", ZERO), f"cannot read state file {ZERO}: it is a character device"),
    (("show", ZERO), f"cannot read plan file {ZERO}: it is a character device"),
    (("apply", ZERO), f"cannot read plan file {ZERO}: it is a character device"),
    (("--state", ZERO, "state", "list"),
     f"cannot read state file {ZERO}: it is a character device"),
    (("-c", ZERO, "validate"), f"cannot read config file {ZERO}: it is a character device"),
    (("-c", ZERO, "export"), f"cannot read config file {ZERO}: it is a character device"),
    (("state", "push", "fifo"), "cannot read state file fifo: it is a FIFO (named pipe), "
                                "not a regular file"),
    (("show", "fifo"), "cannot read plan file fifo: it is a FIFO (named pipe)"),
    (("--state", "fifo", "state", "list"), "cannot read state file fifo: it is a FIFO"),
    (("validate", "fifo"), "cannot read config file fifo: it is a FIFO (named pipe)"),
    (("-c", "fifo", "plan"), "cannot read config file fifo: it is a FIFO (named pipe)"),
    (("-c", "with-policy.yaml", "validate"),
     "with-policy.yaml:3:14: cannot read policy file \"policy/fifo.rego\": it is a FIFO"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_device_or_fifo_is_refused_at_once_naming_the_file(
    project: Path, args: tuple[str, ...], said: str
) -> None:
    before = sorted(p.name for p in project.rglob("*"))
    result = _run(project, *args)
    assert result.returncode == 1, result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in project.rglob("*")) == before  # nothing written


@pytest.mark.parametrize(("args", "said"), [
    (("show", "big.json"), "plan file big.json is too large to be a pstokens plan "
                           "(more than 64 MiB)"),
    (("--state", "big.json", "state", "list"),
     "state file big.json is too large to be a pstokens state (more than 64 MiB)"),
    (("state", "push", "big.json"),
     "state file big.json is too large to be a pstokens state (more than 64 MiB)"),
    (("-c", "big.json", "validate"), "big.json:1:1: the file is larger than 8 MiB"),
])
def test_a_file_over_its_limit_is_refused_naming_the_limit(
    project: Path, args: tuple[str, ...], said: str
) -> None:
    with (project / "big.json").open("wb") as big:  # sparse: costs no disk
        big.truncate(64 * 2**20 + 1)
    result = _run(project, *args)
    assert result.returncode == 1, result.stderr
    assert said in result.stderr
    assert not (project / "state").exists()
