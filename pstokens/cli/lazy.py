"""Subcommands imported on first use, so start-up pays only for the command that runs.

The command modules pull in the engine, the API client (httpx, pydantic),
YAML and file locking; `pstokens --version` and `pstokens --help` need none
of it, and `pstokens plan` needs none of `serve`'s. The mapping still lists
every command, so anything walking `group.commands` sees them all; `--help`
lists them from their one-line summaries without importing them (a test
holds each summary to its command's own help).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

import click


class LazyCommands(MutableMapping[str, click.Command]):
    """Command name -> command, where a command may be given as
    ("module:attribute", summary), or "module:attribute", until it is first used."""

    def __init__(self, entries: Mapping[str, tuple[str, str] | str | click.Command]) -> None:
        self._entries: dict[str, str | click.Command] = {}
        self._summaries: dict[str, str] = {}
        for name, entry in entries.items():
            if isinstance(entry, tuple):
                self._entries[name], self._summaries[name] = entry
            else:
                self._entries[name] = entry

    def short_help(self, name: str, limit: int) -> str:
        """The command's line in `--help`, importing nothing not yet loaded
        (a command given without a summary is loaded for it)."""
        entry = self._entries[name]
        if isinstance(entry, click.Command) or name not in self._summaries:
            return self[name].get_short_help_str(limit)
        # Shortened as click shortens a command's own help.
        return click.Command(name, help=self._summaries[name]).get_short_help_str(limit)

    def __getitem__(self, name: str) -> click.Command:
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = self._entries[name] = getattr(importlib.import_module(module), attribute)
            assert isinstance(entry, click.Command), f"{module}:{attribute} is not a command"
        return entry

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class LazyGroup(click.Group):
    """A group whose `--help` lists lazy commands without importing them."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = self.commands
        if not isinstance(commands, LazyCommands):
            super().format_commands(ctx, formatter)
            return
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):
            formatter.write_dl([(name, commands.short_help(name, limit)) for name in names])
