"""`validate`: the config (and its own `rules:`) checked offline, without the API stack.

Kept apart from plan and apply so that a pre-commit hook or CI step running
`pstokens validate` pays for the config reader only (no httpx, pydantic or engine).
"""

from __future__ import annotations

import click

from pstokens.cli.checks import load_checked_config
from pstokens.cli.output import err, out
from pstokens.cli.settings import offline_options, resolve


@click.command("validate")
@offline_options
def validate_command() -> None:
    """Check the config offline: no API call, nothing written.

    Example: pstokens validate -c pstokens.yaml
    """
    settings = resolve(click.get_current_context().find_root().obj or {})
    config = load_checked_config(settings)
    count = len(config.tokens)
    for warning in config.warnings:
        err(str(warning))
    out(f"{config.path}: valid ({count} token{'s' if count != 1 else ''}, "
        f"organization {config.organization}).")
