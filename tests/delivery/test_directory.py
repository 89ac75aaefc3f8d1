"""The folder destination: folders left as found, git asked first, staged files."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from pstokens.delivery import DirectorySink, NewSecret, forget_files
from pstokens.errors import SecretDeliveryError
from pstokens.secret import Secret

SECRET = "pscale_tkn_Zq8rT2mWx9LpC4vB7nKd3FhJ6sYg1uE5aR0oI"


def item(key: str = "ci", token_id: str = "tok1") -> NewSecret:
    return NewSecret("acme", key, token_id, Secret(SECRET))


def staged_copies(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.suffix == ".tmp"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def plain_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """git as a fresh install has it: no user or system config (no global excludes)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


async def test_folders_it_creates_are_0700_and_the_topmost_gets_the_gitignore(
    tmp_path: Path,
) -> None:
    root = tmp_path / "made" / "secrets"
    await DirectorySink(root).deliver(item())
    for folder in (tmp_path / "made", root, root / "acme"):
        assert mode(folder) == 0o700
    assert (tmp_path / "made" / ".gitignore").read_text() == "*\n"
    assert not (root / ".gitignore").exists() and not (root / "acme" / ".gitignore").exists()
    assert mode(root / "acme" / "ci.env") == 0o600


async def test_a_folder_that_exists_keeps_its_mode_and_gets_no_gitignore(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    (shared / ".gitignore").write_text("notes.txt\n")
    await DirectorySink(shared).deliver(item())
    assert mode(shared) == 0o755
    assert (shared / ".gitignore").read_text() == "notes.txt\n"  # theirs, untouched
    assert mode(shared / "acme") == 0o700  # made by pstokens
    assert (shared / "acme" / ".gitignore").read_text() == "*\n"

    here = tmp_path / "here"  # `--secrets-dir .` where the organization's folder exists
    (here / "acme").mkdir(parents=True)
    (here / "acme").chmod(0o750)
    await DirectorySink(here).deliver(item())
    assert mode(here / "acme") == 0o750
    assert not (here / ".gitignore").exists() and not (here / "acme" / ".gitignore").exists()


async def test_in_a_git_work_tree_a_file_git_would_not_ignore_is_not_written(
    tmp_path: Path,
) -> None:
    git(tmp_path, "init", "-q")
    folder = tmp_path / "shared" / "acme"
    folder.mkdir(parents=True)
    with pytest.raises(SecretDeliveryError) as caught:
        await DirectorySink(tmp_path / "shared").deliver(item())
    assert caught.value.message == (
        f"did not write {folder / 'ci.env'}: it is in the git work tree {tmp_path} and git "
        f"would not ignore it; add the line `/shared/acme/` to {tmp_path / '.gitignore'}"
    )
    assert list(folder.iterdir()) == []  # nothing written, not even a staged copy

    (tmp_path / ".gitignore").write_text("/shared/acme/\n")  # the line it asked for
    await DirectorySink(tmp_path / "shared").deliver(item())
    git(tmp_path, "add", "-A")
    assert git(tmp_path, "ls-files") == ".gitignore\n"  # the secret stays out of git


async def test_in_a_git_work_tree_folders_it_creates_are_ignored(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("build/\n")
    await DirectorySink(tmp_path).deliver(item())  # `--secrets-dir .`
    await DirectorySink(tmp_path / ".pstokens" / "secrets").deliver(item())
    git(tmp_path, "add", "-A")
    assert git(tmp_path, "ls-files") == ".gitignore\n"
    assert (tmp_path / ".gitignore").read_text() == "build/\n"


async def test_a_tracked_file_is_never_overwritten_with_a_secret(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "ci.env").write_text("EXAMPLE=1\n")
    git(tmp_path, "add", "acme/ci.env")
    (tmp_path / ".gitignore").write_text("*.env\n.*.tmp\n")  # ignored, but tracked already
    with pytest.raises(SecretDeliveryError, match="git would not ignore it"):
        await DirectorySink(tmp_path).deliver(item())
    assert (folder / "ci.env").read_text() == "EXAMPLE=1\n"


async def test_without_git_installed_the_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "acme").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert await DirectorySink(tmp_path).deliver(item()) == f"{tmp_path}/acme/ci.env"


async def test_a_staged_file_waits_beside_the_working_one_until_commit(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    await sink.deliver(item("ci", "old1"))
    target = tmp_path / "acme" / "ci.env"
    working = target.read_text()
    staged = await sink.stage(item("ci", "new2"))
    assert target.read_text() == working
    [copy] = staged_copies(target.parent)
    assert copy.name.startswith(".ci.env.") and mode(copy) == 0o600
    staged.discard()
    assert target.read_text() == working and staged_copies(target.parent) == []

    staged = await sink.stage(item("ci", "new2"))
    await staged.send()
    assert target.read_text() == working  # sending a file is waiting for the commit
    staged.commit()
    assert "PLANETSCALE_SERVICE_TOKEN_ID=new2\n" in target.read_text()
    assert staged_copies(target.parent) == []


async def test_a_commit_clears_a_copy_a_killed_run_left_and_forget_clears_it_too(
    tmp_path: Path,
) -> None:
    sink = DirectorySink(tmp_path)
    target = tmp_path / "acme" / "ci.env"
    await sink.stage(item("ci", "dead1"))  # then "killed": never committed nor discarded
    await sink.deliver(item("ci", "new2"))
    assert staged_copies(target.parent) == []

    await sink.stage(item("ci", "dead3"))
    [stray] = staged_copies(target.parent)
    assert forget_files([str(tmp_path)], "acme", "ci", "dead3") == [str(stray)]
    assert staged_copies(target.parent) == [] and target.exists()  # the working file stays


async def test_a_folder_that_cannot_be_written_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SecretDeliveryError) as caught:
        await DirectorySink(blocker).deliver(item("ci"))
    assert caught.value.message.startswith(f"could not write the secret of 'ci' under {blocker}")
