"""The README is a short front door, and the docs site builds and covers the CLI.

The site in docs/ is built with `mkdocs build --strict` (every page in the
nav, every link and anchor resolving), and every command and option that
`--help` lists, with each value of a choice, appears somewhere in the docs or
the README, so a new flag cannot ship undocumented.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from pstokens.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

# The Quickstart's two commands, byte for byte: the first is what a newcomer
# pastes, the second what CI runs (.ci/run).
QUICKSTART = (
    "python3.11 -m venv .venv && .venv/bin/pip install -q . && export PSTOKENS_EMULATOR=1 "
    "PSTOKENS_CONFIG=examples/pstokens.yaml && .venv/bin/pstokens plan && .venv/bin/pstokens "
    "apply --auto-approve && .venv/bin/pstokens plan",
    "python3.11 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
    ".venv/bin/python -m pytest -q",
)


def docs_text() -> str:
    pages = sorted(DOCS.rglob("*.md"))
    return "\n".join(p.read_text() for p in [README, *pages])


def commands(ctx: click.Context, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], click.Context]]:
    """Each command as `--help` sees it: its context (help option names included)."""
    yield path, ctx
    group = ctx.command
    if not isinstance(group, click.Group):
        return
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = command.make_context(name, [], parent=ctx, resilient_parsing=True)
        yield from commands(sub, (*path, name))


def every_command() -> list[tuple[tuple[str, ...], click.Context]]:
    return list(commands(cli.make_context("pstokens", [], resilient_parsing=True)))


def mentioned(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def command_mentioned(text: str, path: tuple[str, ...]) -> bool:
    """`pstokens state unlock`, or a listing such as `state list|show KEY|unlock`."""
    *parents, name = path
    prefix = r"\s+".join(map(re.escape, ["pstokens", *parents]))
    listing = r"(?:[\w-]+(?:\s+[A-Z_]+)*\\?\|)*"  # `\|` inside a Markdown table
    return re.search(rf"{prefix}\s+{listing}{re.escape(name)}(?![\w-])", text) is not None


def test_the_readme_is_a_front_door_of_at_most_200_lines() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 200, len(lines)


def test_the_quickstart_commands_are_unchanged() -> None:
    text = README.read_text()
    section = text.split("## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert tuple(blocks) == QUICKSTART


def test_the_readme_links_into_pages_that_exist() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)", README.read_text())
    assert len(links) >= 10
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert missing == []


def test_the_site_builds_with_strict_checks(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir",
         str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert (site / "index.html").is_file()
    assert (site / "security" / "index.html").is_file()
    assert not (ROOT / "site").exists() or (ROOT / "site").is_dir()  # never built here
    assert "site/" in (ROOT / ".gitignore").read_text().splitlines()


def test_every_command_help_lists_is_in_the_docs() -> None:
    text = docs_text()
    missing = [" ".join(path) for path, _ in every_command()[1:]
               if not command_mentioned(text, path)]
    assert missing == []


@pytest.mark.parametrize(("path", "ctx"), every_command(),
                         ids=lambda v: " ".join(v) or "pstokens" if isinstance(v, tuple) else "")
def test_every_option_help_lists_is_in_the_docs(
    path: tuple[str, ...], ctx: click.Context
) -> None:
    text = docs_text()
    lines = text.splitlines()
    missing = []
    for param in ctx.command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = [*param.opts, *param.secondary_opts]
        missing += [name for name in names if not mentioned(text, name)]
        if isinstance(param.type, click.Choice):
            longest = max(names, key=len)
            for choice in map(str, param.type.choices):
                # `--format sarif`, or `--format text|json|markdown` on one line
                if not any(mentioned(line, longest) and mentioned(line, choice)
                           for line in lines):
                    missing.append(f"{longest} {choice}")
    assert missing == []


def test_each_commands_section_lists_every_format_of_its_command() -> None:
    """docs/commands.md's `--format a|b|c` under `## pstokens CMD` names all of CMD's."""
    sections = re.split(r"^## `pstokens ([\w -]+)`", (DOCS / "commands.md").read_text(), flags=re.M)
    body = dict(zip(sections[1::2], sections[2::2], strict=True))
    wrong = {}
    for path, ctx in every_command():
        fmt = next((p for p in ctx.command.get_params(ctx)
                    if isinstance(p, click.Option) and "--format" in p.opts), None)
        name = " ".join(path)
        if fmt is None or name not in body or not isinstance(fmt.type, click.Choice):
            continue
        listed = re.search(r"--format ([\w\\|]+)", body[name])
        shown = set(listed.group(1).replace("\\", "").split("|")) if listed else set()
        if shown != set(map(str, fmt.type.choices)):
            wrong[name] = sorted(shown)
    assert wrong == {}
