"""`import` and `export`: bringing tokens under management (`state` is in commands_stategroup)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from pstokens.cli.context import current_context as _context
from pstokens.cli.output import err, out
from pstokens.cli.settings import Settings, global_options
from pstokens.config import load_config, parse_config
from pstokens.config.schema import ORGANIZATION_NAME
from pstokens.config.wording import quote
from pstokens.engine.inventory.adopt import (
    Adoption,
    adopt_by_name,
    adopt_exported,
    adopt_one,
    check_adoptable,
    check_importable,
)
from pstokens.engine.inventory.export import assign_keys
from pstokens.engine.reading.observe import read_organization, read_token
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import PstokensError, UsageError
from pstokens.render.export import export_yaml


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
        raise UsageError("give KEY and TOKEN_ID, or --by-name alone",
                         hint="pstokens import ci-deploy txhc257pxjuc")
    context = _context()
    config = context.config
    organization = config.organization
    if key is not None and token_id is not None:
        check_importable(context.read_state(), config, key, token_id)
    context.read_state()
    with context.store.locked(context.settings.lock_timeout):
        state = context.read_state()

        async def run() -> Adoption:
            async with context.client() as client:
                if key is not None and token_id is not None:
                    token = await read_token(client, organization, token_id)
                    return adopt_one(state, config, key, token)
                live = await read_organization(
                    client, organization, lambda t: t.name is not None and t.name in config.tokens
                )
                return adopt_by_name(state, config, live)

        adoption = asyncio.run(run())
        if adoption.adopted:
            context.store.save(adoption.state)
    for adopted_key, adopted_id in adoption.adopted:
        out(f"Imported {adopted_id} as {adopted_key}.")
    for shared_key, ids in adoption.ambiguous:
        err(f"{shared_key}: {len(ids)} live tokens have this name ({', '.join(ids)}); "
            f"import one with `pstokens import {shared_key} ID`.")
    if by_name:
        count = len(adoption.adopted)
        if not count:
            raise PstokensError(
                "imported nothing: no config key outside state names exactly one live token",
                hint="`pstokens import KEY TOKEN_ID` adopts one token by its ID",
            )
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
    context = _context()
    organization = export_organization(context.settings)

    async def read() -> dict[str, LiveToken]:
        async with context.client(organization) as client:
            live = await read_organization(client, organization, lambda _: True)
        return assign_keys(live.values())

    if not adopt:
        out(export_yaml(organization, asyncio.run(read())), nl=False)
        return
    store = context.state_store(organization)
    where = store.location
    check_adoptable(store.load(organization), where)
    with store.locked(context.settings.lock_timeout):
        state = store.load(organization)
        check_adoptable(state, where)
        keys = asyncio.run(read())
        text = export_yaml(organization, keys, adopted=True)
        parse_config(text, filename="the exported config")  # what the next plan reads
        store.save(adopt_exported(state, keys, where).state)
    out(text, nl=False)
    count = len(keys)
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
        raise UsageError("export needs an organization",
                         hint="pass --org NAME, set PLANETSCALE_ORG, or name it in -c FILE")
    if ORGANIZATION_NAME.fullmatch(settings.org) is None:
        raise UsageError(f"bad organization name {quote(settings.org)} from --org or "
                         "PLANETSCALE_ORG", hint="use the organization's name as PlanetScale "
                         "shows it")
    return settings.org
