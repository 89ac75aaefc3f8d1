"""`state list|show|rm|mv|pull|push|unlock`: inspect, edit and move the state.

The state may be a local file or an S3 object (`--state s3://BUCKET/KEY`);
each command works on either through the context's store. Every edit runs
in the engine service (`Workspace.forget`, `rename`, `push`, `force_unlock`: the
lock, the rules, the write, which refuses to overwrite a version written
since it read); this module asks and prints. list, show and pull only read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from pstokens.cli.context import current_context as _context
from pstokens.cli.output import out
from pstokens.cli.settings import global_options
from pstokens.errors import StateEditRefused, StateError
from pstokens.render.escape import key as shown_key
from pstokens.render.escape import terminal
from pstokens.render.statelist import state_lines
from pstokens.state import State, StateStore
from pstokens.state.base import encode_state

if TYPE_CHECKING:
    from pstokens.engine.applying.stateedits import PushPreview


@click.group("state")
@global_options
def state_group() -> None:
    """Inspect or edit the state (a file, or an S3 object with --state s3://BUCKET/KEY)."""


def _read_only() -> tuple[StateStore, State | None]:
    """The store and its state (None when there is none yet) for a command that only
    reads: with --org or --state it needs no config, so a config that does not parse
    does not stand between a user and their state."""
    context = _context()
    settings = context.settings
    if settings.org is None and settings.state is None:
        return context.store, context.read_state()
    # --state alone: the state says whose it is ("" takes its organization).
    organization = settings.org or ""
    store = context.state_store(organization)
    return store, store.load(organization) if store.exists() else None


@state_group.command("list")
@global_options
def state_list() -> None:
    """List managed keys and their token IDs.  Example: pstokens state list"""
    state = _read_only()[1]
    if state is None or not state.tokens:
        out("State is empty.")
        return
    for line in state_lines(state):
        out(line)


@state_group.command("show")
@global_options
@click.argument("key")
def state_show(key: str) -> None:
    """Show what state records for KEY.  Example: pstokens state show ci-deploy"""
    state = _read_only()[1]
    record = None if state is None else state.tokens.get(key)
    if record is None:
        raise StateEditRefused(f"{key!r} is not in state", hint="see `pstokens state list`")
    out(json.dumps({key: record.to_json()}, indent=2))


@state_group.command("rm")
@global_options
@click.argument("key")
def state_rm(key: str) -> None:
    """Forget KEY: its token is left alone in PlanetScale.

    Example: pstokens state rm old-deploy
    """
    _context().workspace().forget(key)
    out(f"Removed {shown_key(key)} from state; its token still exists in PlanetScale.")


@state_group.command("mv")
@global_options
@click.argument("old")
@click.argument("new")
def state_mv(old: str, new: str) -> None:
    """Rename key OLD to NEW in state; its token is not touched.

    Rename the key in pstokens.yaml too, and the next plan has no changes.

    Example: pstokens state mv ci-deploy deployer
    """
    context = _context()
    record = context.workspace().rename(old, new)
    out(f"Moved {shown_key(old)} to {shown_key(new)} in state; "
        f"token {terminal(record.id) or '-'} is unchanged.")
    config = context.config
    if new not in config.tokens:
        out(f"Rename {shown_key(old)} to {shown_key(new)} in {config.path} too: until then "
            f"a plan deletes this token and makes a new one for {shown_key(old)}.")


@state_group.command("pull")
@global_options
def state_pull() -> None:
    """Print the state as JSON (for example to keep a copy of an S3 state).

    Example: pstokens state pull --state s3://acme-infra/pstokens/acme.json > acme.json
    """
    store, state = _read_only()
    if state is None:
        raise StateError(
            f"there is no state at {store.location} yet",
            hint="`pstokens apply` makes one, or `pstokens state push FILE` uploads one",
        )
    click.echo(encode_state(state).decode(), nl=False)


@state_group.command("push")
@global_options
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace a state that cannot be read (not JSON, damaged); it is kept "
              "as the backup.")
def state_push(file: str, force: bool) -> None:
    """Upload the local state FILE to the configured state (for example S3).

    Refuses a FILE of another lineage, or one older than what is there.
    With --force, a state there that cannot be read is replaced (its old
    content kept as the backup); a readable one is still compared.

    Example: pstokens state push state/acme.json --state s3://acme-infra/pstokens/acme.json
    """
    pushed = _context().workspace().push(file, force=force, show=_say_what_changes)
    if pushed.written is None:
        out(f"{pushed.location} already holds {file} (serial {pushed.serial}).")
        return
    count = len(pushed.written.tokens)
    out(f"Pushed {file} to {pushed.location} (serial {pushed.serial}, "
        f"{count} key{'s' if count != 1 else ''}).")


def _say_what_changes(preview: PushPreview) -> None:
    """Before a push writes: which keys it adds, removes, or points at another token."""
    from pstokens.render.stale import moved_text

    location, moves = preview.location, preview.moves
    if preview.damaged is not None:
        out(f"Replacing a state that cannot be read: {preview.damaged}.")
        return
    if not moves:
        out(f"The push changes no key in {location}.")
        return
    out(f"The push changes {len(moves)} key{'s' if len(moves) != 1 else ''} in {location}:")
    for moved in moves:
        out(f"  {moved_text(moved)}")


@state_group.command("unlock")
@global_options
@click.argument("lock_id")
def state_unlock(lock_id: str) -> None:
    """Remove the lock a killed run left on the state, if its ID is LOCK_ID.

    The ID is in the message that named the holder. Run it only when that
    run is surely gone: two runs at once could each undo the other's work.

    Example: pstokens state unlock 0b5c2b8e-5f7e-4f1e-9a55-1f3b2c9d8e7a
    """
    holder = _context().workspace().force_unlock(lock_id)
    out(f"Removed the lock held by {holder.describe()}.")
