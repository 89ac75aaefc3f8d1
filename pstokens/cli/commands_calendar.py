"""`calendar`: the dates live tokens fall due, as iCalendar for any calendar app."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from pstokens.cli.context import CommandContext
from pstokens.cli.output import out
from pstokens.cli.progress import reading
from pstokens.cli.settings import global_options, resolve
from pstokens.engine.inventory.due import due_dates
from pstokens.errors import OutputError
from pstokens.fileio import odd_output, write_output
from pstokens.render.formats import CALENDAR


@click.command("calendar")
@global_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="Write the calendar to FILE (mode 0600; its folder must exist) instead of "
                   "printing it.")
def calendar_command(out_file: str | None) -> None:
    """Expiries, rotation due dates and overlap ends of live tokens, as iCalendar.

    One event per live token's expiry, per managed token's rotation (its
    creation plus rotate_after) and per replaced token's end of overlap, each
    with a UID that stays the same from run to run, so a calendar that
    imports the file again updates its events. Reads the organization as
    report does; changes nothing. Without a config file, name the
    organization with --org (there are no rotations then).

    Example: pstokens calendar --out tokens.ics
    """
    context = CommandContext(resolve(click.get_current_context().find_root().obj or {}))
    target = Path(out_file) if out_file else None
    if target is not None:
        _check_folder(target)
    workspace = context.review_workspace()
    organization, config = workspace.organization, workspace.config
    state = workspace.read_state()
    with reading(organization):
        report = asyncio.run(workspace.report())
    dates = due_dates(report, config, state)
    data = CALENDAR.render("ical", organization=organization, dates=dates,
                           now=report.generated_at)
    if target is None:
        click.echo(data.decode(), nl=False)
        return
    try:
        write_output(target, data)
    except OSError as exc:
        raise OutputError(f"cannot write the calendar to {out_file}: "
                          f"{exc.strerror or type(exc).__name__}",
                          hint="pick another --out path") from None
    out(f"Wrote {len(dates)} event{'s' if len(dates) != 1 else ''} for organization "
        f"{organization} to {out_file}.")


def _check_folder(target: Path) -> None:
    """Refuse an --out path whose folder is missing or not writable, before any API call."""
    folder = target.parent
    reason = odd_output(target)  # a device, FIFO or link there: never replaced
    if reason is not None:
        raise OutputError(f"cannot write the calendar to {target}: {reason}",
                          hint="pick another --out path")
    if not folder.exists():
        reason = f"folder {folder} does not exist"
    elif not folder.is_dir():
        reason = f"{folder} is not a folder"
    elif not os.access(folder, os.W_OK | os.X_OK):
        reason = f"folder {folder} is not writable"
    if reason:
        raise OutputError(f"cannot write the calendar to {target}: {reason}",
                          hint="create the folder first, or pick another --out path")
