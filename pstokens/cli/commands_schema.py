"""`schema`: the JSON Schemas of pstokens.yaml and of the JSON plan, for editors and CI."""

from __future__ import annotations

import click

from pstokens.cli.output import out
from pstokens.cli.settings import standalone_options
from pstokens.schemas import NAMES, SchemaName, render


@click.command("schema")
@standalone_options
@click.argument("document", type=click.Choice(NAMES))
def schema_command(document: SchemaName) -> None:
    """Print the JSON Schema (draft 2020-12) of the config or of the JSON plan.

    `config` describes pstokens.yaml (editors complete and check it with a
    `# yaml-language-server: $schema=...` line); `plan` describes what
    `plan --format json` prints and `plan --out` saves. Offline: no API call.

    Example: pstokens schema config > pstokens.schema.json
    """
    out(render(document), nl=False)
