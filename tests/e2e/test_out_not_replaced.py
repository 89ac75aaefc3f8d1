"""`--out` never replaces what is not a regular file: a device, a FIFO, a symbolic
link or a folder is refused (run as root, `plan --out /dev/full` made /dev/full a
plain file), before the organization is read, and stays as it was."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, write_config


@pytest.fixture(autouse=True)
def config(workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  ci: {}\n")


def _odd(kind: str, folder: Path) -> Path:
    path = folder / f"out-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        (folder / "real.json").write_text("{}")
        path.symlink_to(folder / "real.json")
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["fifo", "link"])
@pytest.mark.parametrize("command", [["plan"], ["report"], ["calendar"]])
def test_out_refuses_what_is_not_a_regular_file_and_leaves_it(
    cli: Cli, workdir: Path, kind: str, command: list[str]
) -> None:
    path = _odd(kind, workdir)
    before = os.lstat(path)
    result = cli(*command, "--out", str(path))
    assert result.code == 1, result.both
    assert "regular file" in result.err and "Traceback" not in result.both
    after = os.lstat(path)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)
    assert (after.st_ino, after.st_dev) == (before.st_ino, before.st_dev)


def test_out_refuses_a_folder(cli: Cli, workdir: Path) -> None:
    (workdir / "plans").mkdir()
    result = cli("plan", "--out", str(workdir / "plans"))
    assert result.code in (1, 2) and "Traceback" not in result.both, result.both
    assert (workdir / "plans").is_dir()


def test_out_refuses_a_device(cli: Cli) -> None:
    """/dev/null is a character device everywhere pstokens runs."""
    result = cli("plan", "--out", "/dev/null")
    assert result.code == 1 and "a character device" in result.err, result.both
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_out_still_replaces_a_regular_file(cli: Cli, workdir: Path) -> None:
    (workdir / "plan.json").write_text("old")
    assert cli("plan", "--out", str(workdir / "plan.json")).code == 0
    assert (workdir / "plan.json").read_text().startswith("{")
