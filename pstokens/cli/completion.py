"""Shell completion of the config's keys for `--target` and `--replace`.

click completes commands and options by itself (`_PSTOKENS_COMPLETE=bash_source
pstokens`, docs/schemas.md); this adds the token keys of the config that `-c`,
PSTOKENS_CONFIG or ./pstokens.yaml names. Completion runs on every Tab: whatever
goes wrong (no file, a broken config) offers nothing rather than a traceback.
"""

from __future__ import annotations

import os
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
        try:
            tokens = load_config(path, organization=None).tokens
        except InvalidConfig as exc:  # the keys it could read still complete (no org too)
            tokens = exc.partial.tokens
        return [CompletionItem(key) for key in sorted(tokens) if key.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - a Tab never shows a traceback
        return []
