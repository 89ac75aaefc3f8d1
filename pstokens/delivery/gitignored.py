"""Whether git would ignore a secret file, asked before it is written.

A secret file inside a git work tree that git does not ignore is one
`git add -A` away from being committed. Git itself answers (`git
check-ignore`), so every `.gitignore`, `info/exclude` and `core.excludesFile`
counts. Without git installed, or outside a work tree, there is nothing to ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from pathlib import Path

GIT_SECONDS = 30.0


async def unignored(folder: Path, names: list[str]) -> tuple[Path, str] | None:
    """None when git would ignore every one of `names` in `folder` (or there is no
    work tree to ask about); otherwise the work tree's top folder and the
    `.gitignore` line that would ignore the folder's files."""
    git = shutil.which("git")
    if git is None or not _maybe_in_work_tree(folder):
        return None
    code, shown = await _git(git, folder, "check-ignore", "--stdin", "-z",
                             given="".join(f"{n}\0" for n in names))
    if code not in (0, 1):  # 128: not in a work tree (or git cannot tell)
        return None
    if set(shown.split("\0")) >= set(names):
        return None
    code, top = await _git(git, folder, "rev-parse", "--show-toplevel")
    if code != 0:
        return None
    root = Path(top.strip())
    try:
        inside = folder.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return root, f"/{_pattern(inside.as_posix())}/"


def _maybe_in_work_tree(folder: Path) -> bool:
    """False when no folder up from `folder` has a `.git` (and git is not pointed
    elsewhere by GIT_DIR): then there is nothing to ask, and no git process to
    start for each secret file (a hundred new tokens would pay for a hundred)."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    here = folder.resolve()
    return any((place / ".git").exists() for place in (here, *here.parents))


def _pattern(path: str) -> str:
    """`path` as a gitignore pattern matching itself only."""
    escaped = re.sub(r"([*?\[\]\\])", r"\\\1", path)
    return re.sub(r" $", r"\\ ", escaped)


async def _git(git: str, folder: Path, *args: str, given: str = "") -> tuple[int | None, str]:
    try:
        process = await asyncio.create_subprocess_exec(
            git, "-C", str(folder), *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return None, ""
    try:
        out, _ = await asyncio.wait_for(process.communicate(given.encode()), GIT_SECONDS)
    except TimeoutError:
        return None, ""
    finally:
        if process.returncode is None:  # timed out or cancelled: leave nothing running
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return process.returncode, out.decode("utf-8", "replace")
