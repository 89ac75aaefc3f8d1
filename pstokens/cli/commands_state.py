"""`import` and `export`: bringing tokens under management (`state` is in commands_stategroup)."""

from __future__ import annotations

import asyncio

import click

from pstokens.api.client import PlanetScaleClient
from pstokens.api.models import ServiceToken
from pstokens.cli.commands_plan import _session
from pstokens.cli.output import err, out
from pstokens.cli.session import Session
from pstokens.cli.settings import global_options, resolve
from pstokens.engine.export import export_yaml, observed_ttl
from pstokens.engine.live import access_map
from pstokens.errors import PstokensError
from pstokens.state import State, TokenRecord


@click.command("import")
@global_options
@click.argument("key", required=False)
@click.argument("token_id", required=False)
@click.option("--by-name", is_flag=True,
              help="Adopt every config key whose name matches exactly one live token.")
@click.option("--lock-timeout", type=float, default=0.0, help="Seconds to wait for the lock.")
def import_command(
    key: str | None, token_id: str | None, by_name: bool, lock_timeout: float
) -> None:
    """Adopt existing tokens into state.

    Examples: pstokens import ci-deploy txhc257pxjuc
              pstokens import --by-name
    """
    if by_name == bool(key or token_id) or (not by_name and not (key and token_id)):
        raise PstokensError("give KEY and TOKEN_ID, or --by-name alone",
                            hint="pstokens import ci-deploy txhc257pxjuc")
    session = _session()
    config = session.config
    if key is not None and key not in config.tokens:
        raise PstokensError(f"{key!r} is not in {config.path}", hint="add it to the config first")
    session.read_state()
    with session.store.locked(lock_timeout):
        state = session.read_state()

        async def run() -> State:
            async with session.client() as client:
                if key is not None and token_id is not None:
                    return await _adopt_one(client, session, state, key, token_id)
                return await _adopt_by_name(client, session, state)

        new_state = asyncio.run(run())
        if new_state is not state:
            session.store.save(new_state)


async def _adopt_one(
    client: PlanetScaleClient, session: Session, state: State, key: str, token_id: str
) -> State:
    if key in state.tokens and state.tokens[key].id:
        raise PstokensError(f"{key!r} is already in state as {state.tokens[key].id}",
                            hint=f"`pstokens state rm {key}` first to import another token")
    if token_id in state.managed_ids():
        raise PstokensError(f"token {token_id} is already managed under another key")
    token = await client.get_token(session.organization, token_id)
    record = await _record(client, session, token, key)
    out(f"Imported {token_id} as {key}.")
    return state.with_token(key, record)


async def _adopt_by_name(client: PlanetScaleClient, session: Session, state: State) -> State:
    tokens = await client.list_tokens(session.organization)
    managed = state.managed_ids()
    by_name: dict[str, list[ServiceToken]] = {}
    for token in tokens:
        if token.id not in managed and token.name:
            by_name.setdefault(token.name, []).append(token)
    adopted = 0
    for key in sorted(session.config.tokens):
        if key in state.tokens:
            continue
        matches = by_name.get(key, [])
        if len(matches) == 1:
            state = state.with_token(key, await _record(client, session, matches[0], key))
            out(f"Imported {matches[0].id} as {key}.")
            adopted += 1
        elif len(matches) > 1:
            ids = ", ".join(t.id for t in matches)
            err(f"{key}: {len(matches)} live tokens have this name ({ids}); "
                f"import one with `pstokens import {key} ID`.")
    out(f"Imported {adopted} token{'s' if adopted != 1 else ''} by name.")
    return state


async def _record(
    client: PlanetScaleClient, session: Session, token: ServiceToken, key: str
) -> TokenRecord:
    accesses = await client.accesses_of(session.organization, token)
    spec = session.config.tokens[key]
    return TokenRecord(
        id=token.id,
        name=token.name or key,
        created_at=token.created_at,
        expires_at=token.expires_at,
        ttl=observed_ttl(token.created_at, token.expires_at),
        accesses=access_map((a.database, a.access) for a in accesses),
        prevent_destroy=spec.prevent_destroy,
    )


@click.command("export")
@global_options
def export_command() -> None:
    """Print the organization's live tokens and accesses as a pstokens.yaml.

    Needs no config file: name the organization with --org or PLANETSCALE_ORG.

    Example: pstokens export --org acme > pstokens.yaml && pstokens import --by-name
    """
    settings = resolve(click.get_current_context().find_root().obj or {})
    organization = settings.org
    if not organization:
        raise PstokensError("export needs an organization", hint="pass --org or PLANETSCALE_ORG")
    session = Session(settings)

    async def run() -> str:
        async with session.client(organization) as client:
            tokens = await client.list_tokens(organization)
            accesses = await asyncio.gather(*(client.accesses_of(organization, t) for t in tokens))
            return export_yaml(organization, list(zip(tokens, accesses, strict=True)))

    click.echo(asyncio.run(run()), nl=False)


