"""`exec` and `lease list|sweep`: parse, call the engine service (`engine/run.py`),
print.

`exec` takes everything after `--` as COMMAND, untouched; it checks the key,
the ttl and that COMMAND exists before any call. Its own lines go to stderr,
so COMMAND's stdout stays COMMAND's.
"""

from __future__ import annotations

import asyncio
import os

import click

from pstokens import clock
from pstokens.cli.context import current_context
from pstokens.cli.output import err, out
from pstokens.cli.settings import global_options
from pstokens.config.duration import parse_duration
from pstokens.engine.leases.lease import Lease
from pstokens.errors import UsageError
from pstokens.render import words
from pstokens.render.escape import terminal as safe

_COMMAND = "pstokens.command"
_USAGE = "pstokens exec KEY [--ttl DURATION] -- COMMAND [ARG...]"


class _ExecCommand(click.Command):
    """Everything after the first `--` is COMMAND, never parsed as options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args:
            if ctx.resilient_parsing or any(a in ctx.help_option_names for a in args):
                return super().parse_args(ctx, args)  # shows the help, or completes
            raise click.UsageError(f"exec needs `--` before COMMAND: {_USAGE}")
        split = args.index("--")
        ctx.meta[_COMMAND] = args[split + 1:]
        return super().parse_args(ctx, args[:split])

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "-- COMMAND [ARG...]"]


@click.command("exec", cls=_ExecCommand)
@global_options
@click.argument("key")
@click.option("--ttl", metavar="DURATION",
              help="How long the lease may live at most, e.g. 30m "
                   "[default 15m; at least 1m, at most rules.max_ttl].")
def exec_command(key: str, ttl: str | None) -> int:
    """Run COMMAND with a short-lived token holding KEY's accesses, deleted when it ends.

    Example: pstokens exec ci-deploy --ttl 30m -- ./deploy.sh
    """
    argv: list[str] = click.get_current_context().meta.get(_COMMAND, [])
    if not argv:
        raise UsageError(f"no COMMAND after `--`: {_USAGE}",
                             hint="name the program to run after `--`, e.g. "
                             "`pstokens exec ci-deploy -- ./deploy.sh`")
    seconds = None
    if ttl is not None:
        try:
            seconds = parse_duration(ttl)
        except ValueError as exc:
            raise UsageError(f"--ttl: {exc}") from None
    workspace = current_context().workspace()
    workspace.check_exec(key, seconds, argv)  # bad input: before any call
    return asyncio.run(workspace.exec(key, seconds, argv, os.environ, _notify))


def _notify(event: str, lease: Lease) -> None:
    # A date as well as a time: a lease may last days (`--ttl 100d`).
    when = lease.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    name, token_id = safe(lease.name), safe(lease.token_id)
    if event == "ready":
        err(f"pstokens: lease {name} (id {token_id}) until {when}")
    elif event == "deleted":
        err(f"pstokens: lease {name} deleted")
    else:
        err(f"pstokens: warning: lease {name} (id {token_id}) could not be deleted; it dies "
            f"at {when}, and `pstokens lease sweep` deletes it after that")


@click.group("lease")
@global_options
def lease_group() -> None:
    """List or sweep the short-lived tokens made by `pstokens exec`."""


@lease_group.command("list")
@global_options
def lease_list() -> None:
    """List leases: live, expired, pending, or recorded but gone.

    A lease is one this state records, or a live token that looks like what
    `pstokens exec` makes (a lease's name for a key of the config, with a
    lease's ttl); any other token is not, whatever its name.

    Example: pstokens lease list
    """
    leases = asyncio.run(current_context().workspace().leases())
    if not leases:
        out("No leases.")
    now = clock.now()
    for view in leases:
        status = ("live" if not view.expired(now) else "expired") if view.live else (
            "gone" if view.token_id else "pending")
        out(f"{words.lease(view, safe)}  [{status}]")


@lease_group.command("sweep")
@global_options
@click.option("--all", "every", is_flag=True,
              help="Delete every lease, even one a running `exec` still uses.")
def lease_sweep(every: bool) -> None:
    """Delete expired leases and forget those already gone.

    Only leases are touched: ones this state records, or live tokens that look
    like what `pstokens exec` makes (a lease's name for a key of the config,
    with a lease's ttl). With --all, live leases go too.

    Example: pstokens lease sweep
    """
    result = asyncio.run(current_context().workspace().sweep_leases(every=every))
    for view in result.deleted:
        out(f"deleted {words.lease(view, safe)}")
    for view in result.forgotten:
        out(f"forgot {safe(view.name)} (already gone)")
    out(f"Swept: {len(result.deleted)} deleted, {len(result.forgotten)} forgotten, "
        f"{len(result.kept)} kept.")

