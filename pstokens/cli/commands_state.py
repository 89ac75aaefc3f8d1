"""`import` and `export`: bringing tokens under management (`state` is in commands_stategroup).

The engine service does the work (`Workspace.adopt`, `adopt_by_name`, `export`:
the lock, the reads, the rules of adoption, the state write); this module
parses, asks and prints what it returns.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from pstokens.cli.context import current_context as _context
from pstokens.cli.output import err, out
from pstokens.cli.settings import Settings, global_options
from pstokens.config import load_config
from pstokens.config.load import MAX_CONFIG_BYTES
from pstokens.config.schema import ORGANIZATION_NAME
from pstokens.errors import PstokensError, UsageError
from pstokens.fileread import Refused, read_bounded
from pstokens.quoting import quote
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
    workspace = _context().workspace()
    if key is not None and token_id is not None:
        adoption = asyncio.run(workspace.adopt(key, token_id))
    else:
        adoption = asyncio.run(workspace.adopt_by_name())
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
    workspace = context.workspace(organization, config=False)
    if not adopt:
        exported = asyncio.run(workspace.export())
        out(export_yaml(organization, exported.keys), nl=False)
        return
    exported = asyncio.run(workspace.export(
        adopt=lambda keys: export_yaml(organization, keys, adopted=True)))
    out(exported.text or "", nl=False)
    count = len(exported.keys)
    err(f"Recorded {count} token{'s' if count != 1 else ''} in {exported.location}; "
        "`pstokens plan` with this config shows no changes.")


def export_organization(settings: Settings) -> str:
    """--org or PLANETSCALE_ORG, else the organization of the config file if there
    is one (an empty file is none: `export > pstokens.yaml` empties it first)."""
    path = Path(settings.config_path)
    try:
        present = bool(read_bounded(path, MAX_CONFIG_BYTES).strip())
    except Refused:  # a FIFO, a device, too large: load_config says so
        present = True
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
