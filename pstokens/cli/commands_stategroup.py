"""`state list|show|rm|mv|pull|push|unlock`: inspect, edit and move the state.

The state may be a local file or an S3 object (`--state s3://BUCKET/KEY`);
each command works on either through the context's store. Every edit holds
the state lock and writes through the store, which refuses to overwrite a
version written since it read.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from pstokens.cli.context import current_context as _context
from pstokens.cli.output import out
from pstokens.cli.settings import global_options
from pstokens.defaults import KEY_RULE, TOKEN_KEY
from pstokens.errors import DamagedState, StateEditRefused, StateError, UsageError
from pstokens.state import FileStateStore, State, StateStore
from pstokens.state.base import encode_state


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
    for key, record in sorted(state.tokens.items()):
        extra = "" if record.delivered else "  (secret not delivered)"
        pending = "  (create in progress)" if record.pending_since and not record.id else ""
        out(f"{key}\t{record.id or '-'}{extra}{pending}")


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
    context = _context()
    context.read_state()
    with context.store.locked(context.settings.lock_timeout):
        state = context.read_state()
        if key not in state.tokens:
            raise StateEditRefused(f"{key!r} is not in state", hint="see `pstokens state list`")
        context.store.save(state.with_token(key, None))
    out(f"Removed {key} from state; its token still exists in PlanetScale.")


@state_group.command("mv")
@global_options
@click.argument("old")
@click.argument("new")
def state_mv(old: str, new: str) -> None:
    """Rename key OLD to NEW in state; its token is not touched.

    Rename the key in pstokens.yaml too, and the next plan has no changes.

    Example: pstokens state mv ci-deploy deployer
    """
    if TOKEN_KEY.fullmatch(new) is None:
        raise UsageError(
            f"{new!r} is not a valid key",
            hint=KEY_RULE,
        )
    context = _context()
    context.read_state()
    with context.store.locked(context.settings.lock_timeout):
        state = context.read_state()
        record = state.tokens.get(old)
        if record is None:
            raise StateEditRefused(f"{old!r} is not in state", hint="see `pstokens state list`")
        if new in state.tokens:
            raise StateEditRefused(
                f"{new!r} is already in state (token {state.tokens[new].id or '-'})",
                hint=f"`pstokens state rm {new}` first if that key should go",
            )
        context.store.save(state.with_token(old, None).with_token(new, record))
    out(f"Moved {old} to {new} in state; token {record.id or '-'} is unchanged.")
    config = context.config
    if new not in config.tokens:
        out(f"Rename {old} to {new} in {config.path} too: until then a plan deletes this "
            f"token and makes a new one for {old}.")


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
    context = _context()
    store = context.store
    source = FileStateStore(file)
    if Path(file).resolve() == Path(store.location).resolve():
        raise UsageError(
            f"{file} is the configured state itself: there is nothing to push",
            hint="name the destination with --state (or PSTOKENS_STATE)",
        )
    if not source.exists():
        raise UsageError(f"state file {file} does not exist",
                         hint="name the local state file to upload, e.g. "
                         "`pstokens state push state/acme.json`")
    local = source.load(context.organization)
    with store.locked(context.settings.lock_timeout):
        there = _readable(store, context.organization, force)
        if there is None:
            written = store.save(local)
        elif store.exists():
            _check_push(file, local.lineage, local.serial, store.location, there.lineage,
                        there.serial)
            if local.serial == there.serial:
                if local.tokens != there.tokens:
                    raise StateError(
                        f"{file} and {store.location} both have serial {local.serial} "
                        "but differ: each changed since they parted",
                        hint="compare them (`pstokens state pull`) and push the right one "
                        "after the next apply",
                    )
                out(f"{store.location} already holds {file} (serial {local.serial}).")
                return
            _say_what_changes(there, local, store.location)
            written = store.save(replace(local, serial=max(local.serial, there.serial)))
        else:
            _say_what_changes(there, local, store.location)
            written = store.save(local)
    count = len(written.tokens)
    out(f"Pushed {file} to {store.location} (serial {written.serial}, "
        f"{count} key{'s' if count != 1 else ''}).")


def _say_what_changes(there: State, local: State, location: str) -> None:
    """Before a push writes: which keys it adds, removes, or points at another token."""
    from pstokens.engine.planning.stale import state_moves
    from pstokens.render.stale import moved_text

    moves = state_moves({k: r.id for k, r in there.tokens.items()},
                        {k: r.id for k, r in local.tokens.items()})
    if not moves:
        out(f"The push changes no key in {location}.")
        return
    out(f"The push changes {len(moves)} key{'s' if len(moves) != 1 else ''} in {location}:")
    for moved in moves:
        out(f"  {moved_text(moved)}")


def _readable(store: StateStore, organization: str, force: bool) -> State | None:
    """The state there, or None when it cannot be read and --force replaces it."""
    try:
        return store.load(organization)
    except DamagedState as exc:
        if not force:
            raise
        out(f"Replacing a state that cannot be read: {exc.message}.")
        return None


def _check_push(file: str, lineage: str, serial: int, location: str, there_lineage: str,
                there_serial: int) -> None:
    if lineage != there_lineage:
        raise StateError(
            f"{file} is another state than {location} (lineage {lineage}, "
            f"not {there_lineage})",
            hint="push only a copy of the same state; `pstokens state pull` shows what is there",
        )
    if serial < there_serial:
        raise StateError(
            f"{file} is older than {location} (serial {serial}, not {there_serial})",
            hint="`pstokens state pull` gets the newer one",
        )


@state_group.command("unlock")
@global_options
@click.argument("lock_id")
def state_unlock(lock_id: str) -> None:
    """Remove the lock a killed run left on the state, if its ID is LOCK_ID.

    The ID is in the message that named the holder. Run it only when that
    run is surely gone: two runs at once could each undo the other's work.

    Example: pstokens state unlock 0b5c2b8e-5f7e-4f1e-9a55-1f3b2c9d8e7a
    """
    holder = _context().store.unlock(lock_id)
    out(f"Removed the lock held by {holder.describe()}.")
