"""`state list|show|rm`, `import` and `export`: bringing tokens under management."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from pstokens.cli.output import err, out
from pstokens.cli.session import current_session as _session
from pstokens.cli.settings import Settings, global_options
from pstokens.config import load_config, parse_config
from pstokens.config.schema import ORGANIZATION_NAME
from pstokens.config.wording import quote
from pstokens.engine.adopt import (
    Adoption,
    adopt_by_name,
    adopt_exported,
    adopt_one,
    check_adoptable,
    check_importable,
)
from pstokens.engine.export import Exported, export_config
from pstokens.engine.observe import read_organization, read_token
from pstokens.errors import PstokensError


@click.group("state")
def state_group() -> None:
    """Inspect or edit the state file."""


@state_group.command("list")
@global_options
def state_list() -> None:
    """List managed keys and their token IDs.  Example: pstokens state list"""
    state = _session().read_state()
    if not state.tokens:
        out("State is empty.")
    for key, record in sorted(state.tokens.items()):
        extra = "" if record.delivered else "  (secret not delivered)"
        pending = "  (create in progress)" if record.pending_since and not record.id else ""
        out(f"{key}\t{record.id or '-'}{extra}{pending}")


@state_group.command("show")
@global_options
@click.argument("key")
def state_show(key: str) -> None:
    """Show what state records for KEY.  Example: pstokens state show ci-deploy"""
    state = _session().read_state()
    record = state.tokens.get(key)
    if record is None:
        raise PstokensError(f"{key!r} is not in state", hint="see `pstokens state list`")
    out(json.dumps({key: record.to_json()}, indent=2))


@state_group.command("rm")
@global_options
@click.argument("key")
def state_rm(key: str) -> None:
    """Forget KEY: its token is left alone in PlanetScale.

    Example: pstokens state rm old-deploy
    """
    session = _session()
    session.read_state()
    with session.store.locked(session.settings.lock_timeout):
        state = session.read_state()
        if key not in state.tokens:
            raise PstokensError(f"{key!r} is not in state", hint="see `pstokens state list`")
        session.store.save(state.with_token(key, None))
    out(f"Removed {key} from state; its token still exists in PlanetScale.")


@click.command("import")
@global_options
@click.argument("key", required=False)
@click.argument("token_id", required=False)
@click.option("--by-name", is_flag=True,
              help="Adopt every config key whose name matches exactly one live token.")
def import_command(key: str | None, token_id: str | None, by_name: bool) -> None:
    """Adopt existing tokens into state.

    \b
    Examples: pstokens import ci-deploy txhc257pxjuc
              pstokens import --by-name
    """
    if by_name == bool(key or token_id) or (not by_name and not (key and token_id)):
        raise PstokensError("give KEY and TOKEN_ID, or --by-name alone",
                            hint="pstokens import ci-deploy txhc257pxjuc")
    session = _session()
    config = session.config
    organization = config.organization
    if key is not None and token_id is not None:
        check_importable(session.read_state(), config, key, token_id)
    session.read_state()
    with session.store.locked(session.settings.lock_timeout):
        state = session.read_state()

        async def run() -> Adoption:
            async with session.client() as client:
                if key is not None and token_id is not None:
                    token = await read_token(client, organization, token_id)
                    return adopt_one(state, config, key, token)
                live = await read_organization(
                    client, organization, lambda t: t.name is not None and t.name in config.tokens
                )
                return adopt_by_name(state, config, live)

        adoption = asyncio.run(run())
        if adoption.adopted:
            session.store.save(adoption.state)
    for adopted_key, adopted_id in adoption.adopted:
        out(f"Imported {adopted_id} as {adopted_key}.")
    for shared_key, ids in adoption.ambiguous:
        err(f"{shared_key}: {len(ids)} live tokens have this name ({', '.join(ids)}); "
            f"import one with `pstokens import {shared_key} ID`.")
    if by_name:
        count = len(adoption.adopted)
        out(f"Imported {count} token{'s' if count != 1 else ''} by name.")


@click.command("export")
@global_options
@click.option("--adopt", is_flag=True,
              help="Also record every exported key with its token ID in state, "
                   "so the next plan has no changes.")
def export_command(adopt: bool) -> None:
    """Print the organization's live tokens and accesses as a pstokens.yaml.

    Needs no config file: the organization comes from --org, PLANETSCALE_ORG
    or the organization of an existing -c/--config file.

    \b
    Examples:
      pstokens export --org acme --adopt > pstokens.yaml
      pstokens export --org acme > pstokens.yaml && pstokens import --by-name
    """
    session = _session()
    organization = export_organization(session.settings)

    async def read(adopted: bool) -> Exported:
        async with session.client(organization) as client:
            live = await read_organization(client, organization, lambda _: True)
        return export_config(organization, list(live.values()), adopted=adopted)

    if not adopt:
        out(asyncio.run(read(False)).text, nl=False)
        return
    store = session.store_for(organization)
    where = str(store.path)
    check_adoptable(store.load(organization), where)
    with store.locked(session.settings.lock_timeout):
        state = store.load(organization)
        check_adoptable(state, where)
        exported = asyncio.run(read(True))
        parse_config(exported.text, filename="the exported config")  # what the next plan reads
        store.save(adopt_exported(state, exported, where).state)
    out(exported.text, nl=False)
    count = len(exported.tokens)
    err(f"Recorded {count} token{'s' if count != 1 else ''} in {where}; "
        "`pstokens plan` with this config shows no changes.")


def export_organization(settings: Settings) -> str:
    """--org or PLANETSCALE_ORG, else the organization of the config file if there
    is one (an empty file is none: `export > pstokens.yaml` empties it first)."""
    path = Path(settings.config_path)
    try:
        present = bool(path.read_bytes().strip())
    except OSError:
        present = False
    if present:
        return load_config(path, organization=settings.org).organization
    if settings.org is None:
        raise PstokensError("export needs an organization",
                            hint="pass --org NAME, set PLANETSCALE_ORG, or name it in -c FILE")
    if ORGANIZATION_NAME.fullmatch(settings.org) is None:
        raise PstokensError(f"bad organization name {quote(settings.org)} from --org or "
                            "PLANETSCALE_ORG", hint="use the organization's name as PlanetScale "
                            "shows it")
    return settings.org
