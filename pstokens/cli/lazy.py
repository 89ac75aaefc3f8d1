"""Subcommands imported on first use, so start-up pays only for the command that runs.

The command modules pull in the engine, the API client (httpx, pydantic),
YAML and file locking; `pstokens --version` needs none of it, and `pstokens
plan` needs none of `serve`'s. The mapping still lists every command, so
`--help` and anything walking `group.commands` see them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

import click


class LazyCommands(MutableMapping[str, click.Command]):
    """Command name -> command, where a command may be given as "module:attribute"."""

    def __init__(self, entries: Mapping[str, str | click.Command]) -> None:
        self._entries: dict[str, str | click.Command] = dict(entries)

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
