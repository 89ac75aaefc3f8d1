"""`emulator` and `serve`: the long-running commands."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pstokens.cli.context import current_context as _context
from pstokens.cli.output import err
from pstokens.cli.settings import global_options, standalone_options
from pstokens.errors import ServeError, UsageError


@click.command("emulator")
@standalone_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to bind.")
@click.option("--data", type=click.Path(dir_okay=False), help="Keep data in FILE (else memory).")
@click.option("--org", "orgs", multiple=True, help="A known organization (repeatable).")
@click.option("--database", "databases", multiple=True, help="A known database (repeatable).")
@click.option("--latency-ms", type=float, default=0.0, help="Delay before each answer.")
@click.option("--rate-limit", type=int, default=0, help="Requests a minute; 429 past it.")
@click.option("--fail-rate", type=float, default=0.0, help="Share of requests answered 500.")
@click.option("--lose-rate", type=float, default=0.0,
              help="Share of writes done whose answer is dropped.")
@click.option("--seed", type=int, help="Seed for the fault knobs.")
@click.option("--require-auth", metavar="ID:TOKEN", help="Accept only these credentials.")
@click.option("--refresh-tokens", is_flag=True,
              help="Answer each create with a one-time plain_text_refresh_token too.")
def emulator_command(
    host: str, port: int, data: str | None, orgs: tuple[str, ...], databases: tuple[str, ...],
    latency_ms: float, rate_limit: int, fail_rate: float, lose_rate: float, seed: int | None,
    require_auth: str | None, refresh_tokens: bool,
) -> None:
    """Run the local PlanetScale API emulator at http://HOST:PORT/v1.

    Example: pstokens emulator --port 8765 --data emulator.json --org acme
    """
    from pstokens.emulator import EmulatorSettings, serve
    from pstokens.emulator.server import listening_socket

    for name, rate in (("--fail-rate", fail_rate), ("--lose-rate", lose_rate)):
        if not 0.0 <= rate <= 1.0:
            raise UsageError(f"{name} must be between 0 and 1, not {rate}")
    settings = EmulatorSettings(
        organizations=orgs, databases=databases, latency_ms=latency_ms, rate_limit=rate_limit,
        fail_rate=fail_rate, lose_rate=lose_rate, seed=seed,
        data_path=Path(data) if data else None, require_auth=require_auth,
        refresh_tokens=refresh_tokens,
    )
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        raise ServeError(f"cannot listen on {host}:{port} ({reason}): "
                         "pick another port with --port") from None
    with sock:
        bound_port = sock.getsockname()[1]
        address = f"[{host}]" if ":" in host else host
        err(f"pstokens emulator serving http://{address}:{bound_port}/v1")
        serve(settings, host=host, port=bound_port, sock=sock)


@click.command("serve")
@global_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--rest-port", default=8080, show_default=True, type=int, help="REST adapter port.")
@click.option("--mcp-port", default=9090, show_default=True, type=int, help="MCP adapter port.")
def serve_command(host: str, rest_port: int, mcp_port: int) -> None:
    """Serve the service-token operations over REST and MCP.

    Callers must send `Authorization: Bearer $PSTOKENS_SERVE_TOKEN` (32
    characters at least). The MCP plan tool plans the -c config by default.
    Creates, deletes, grants and revokes hold the state lock, waiting up to
    --lock-timeout for it: while a plan or apply holds it they are refused.

    Example: PSTOKENS_SERVE_TOKEN=... pstokens serve --emulator
    """
    serve_token = os.environ.get("PSTOKENS_SERVE_TOKEN", "")
    if not serve_token:
        raise ServeError("serve needs PSTOKENS_SERVE_TOKEN set: callers must present it",
                         hint="export PSTOKENS_SERVE_TOKEN=$(openssl rand -hex 32)")
    from pstokens.adapters.serve import run_adapters

    context = _context()
    run_adapters(
        context, serve_token, host=host, rest_port=rest_port, mcp_port=mcp_port,
        config=context.settings.config_path, lock_timeout=context.settings.lock_timeout,
    )
