"""`report`: the access review of every live token, managed or not."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from pstokens.cli.context import CommandContext
from pstokens.cli.output import out
from pstokens.cli.progress import reading
from pstokens.cli.sarif import report_problems_as_sarif
from pstokens.cli.settings import global_options, resolve
from pstokens.errors import OutputError
from pstokens.fileio import odd_output, write_output
from pstokens.render.formats import REPORT


@click.command("report")
@global_options
@click.option("--format", "fmt", type=click.Choice(REPORT.names), default="text", show_default=True,
              help="text (a table fitted to the terminal), markdown, html (one file), json, or "
                   "sarif (rule findings for code scanning).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="Write the report to FILE (mode 0600) instead of printing it.")
@report_problems_as_sarif
def report_command(fmt: str, out_file: str | None) -> None:
    """Who can do what: every live token, managed or not, by database and organization.

    Shows each token's accesses, when it was created, expires and was last
    used, the config key that manages it, and the rules it breaks. Reads the
    organization as a plan does; changes nothing. Without a config file, name
    the organization with --org (no rules are checked then).

    Example: pstokens report --format html --out report.html
    """
    settings = resolve(click.get_current_context().find_root().obj or {})
    context = CommandContext(settings)
    target = Path(out_file) if out_file else None
    if target is not None:
        _check_writable(target)
    workspace = context.review_workspace()
    with reading(workspace.organization):
        report = asyncio.run(workspace.report())
    text = REPORT.render(fmt, report=report, config=workspace.config)
    if target is None:
        click.echo(text, nl=REPORT[fmt].newline)
        return
    try:
        write_output(target, click.unstyle(text).encode())
    except OSError as exc:
        raise OutputError(f"cannot write the report to {out_file}: "
                          f"{exc.strerror or type(exc).__name__}",
                          hint="pick another --out path") from None
    out(f"Wrote the {fmt} report of {len(report.tokens)} tokens to {out_file}.")


def _check_writable(target: Path) -> None:
    """Refuse an --out path that cannot be written before reading the organization;
    missing folders are made when the report is written."""
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    reason = odd_output(target)  # a device, FIFO or link there: never replaced
    if reason is None and not folder.is_dir():
        reason = f"{folder} is not a folder"
    elif reason is None and not os.access(folder, os.W_OK | os.X_OK):
        reason = f"{folder} is not writable"
    if reason:
        raise OutputError(f"cannot write the report to {target}: {reason}",
                          hint="pick another --out path")

