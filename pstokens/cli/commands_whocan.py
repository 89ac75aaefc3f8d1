"""`who-can OPERATION`: the live tokens, managed or not, that can perform an API operation.

The engine and API client are imported when the command runs, not for `--help`.
"""

from __future__ import annotations

import asyncio

import click

from pstokens.cli.settings import global_options, resolve
from pstokens.errors import UsageError
from pstokens.render.formats import WHO_CAN


@click.command("who-can")
@global_options
@click.argument("operation")
@click.option("--database", metavar="DB",
              help="Only tokens able to perform it on database DB (its accesses on DB "
                   "and the organization's).")
@click.option("--format", "fmt", type=click.Choice(WHO_CAN.names), default="text",
              show_default=True,
              help="text, or json: [{id, name, key, via: [{access, database}], possibly}].")
def who_can_command(operation: str, database: str | None, fmt: str) -> None:
    """The live tokens, managed or not, that can perform an API operation.

    OPERATION is an operation id from PlanetScale's API description, such as
    promote_branch or delete_database; each token comes with the accesses that
    allow it and where each is held (via). Tokens able only by an access the
    API does not describe are listed apart, as possibly able. Reads the
    organization as report does; changes nothing.
    Without a config file, name the organization with --org.

    Example: pstokens who-can promote_branch --database app-prod
    """
    from pstokens.cli.context import CommandContext
    from pstokens.cli.progress import reading
    from pstokens.engine.inventory.whocan import check_operation

    settings = resolve(click.get_current_context().find_root().obj or {})
    check_operation(operation)
    if database is not None and not database.strip():
        raise UsageError("--database is empty", hint="name a database, or leave it out")
    workspace = CommandContext(settings).review_workspace()
    if not workspace.organization:
        raise UsageError("no organization to ask about",
                         hint="set organization in the config, --org or PLANETSCALE_ORG")
    with reading(workspace.organization):
        able = asyncio.run(workspace.who_can(operation, database))
    text = WHO_CAN.render(fmt, able=able, operation=operation, database=database)
    click.echo(text, nl=WHO_CAN[fmt].newline)
