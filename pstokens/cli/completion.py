"""Shell completion of the config's keys for `--target` and `--replace`.

click completes commands and options by itself (`_PSTOKENS_COMPLETE=bash_source
pstokens`, docs/schemas.md); this adds the token keys of the config that `-c`,
PSTOKENS_CONFIG or ./pstokens.yaml names. Completion runs on every Tab: whatever
goes wrong (no file, a broken config) offers nothing rather than a traceback,
and it reads only a regular file (a FIFO would block it). A config with
problems still offers every key that is a key, whatever is wrong beneath it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from pstokens.config import load_config
from pstokens.config.model import InvalidConfig


def config_keys(ctx: click.Context, param: click.Parameter,
                incomplete: str) -> list[CompletionItem]:
    """The keys of the config's tokens that start with `incomplete`."""
    try:
        named = (ctx.find_root().obj or {}).get("config") or os.environ.get("PSTOKENS_CONFIG")
        path = Path(named or "pstokens.yaml")
        if not path.is_file():  # a FIFO or a device could block the Tab: regular files only
            return []
        try:
            keys: Iterable[str] = load_config(path, organization=None).tokens
        except InvalidConfig as exc:  # every key that is a key still completes (no org too)
            keys = exc.keys
        return [CompletionItem(key) for key in sorted(keys) if key.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - a Tab never shows a traceback
        return []
