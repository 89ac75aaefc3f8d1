"""A pydantic model of pstokens.yaml, for its JSON Schema only.

The file itself is read by the YAML walker (config/schema.py), which reports every
problem with its line and column; this model states the same shape (the walker's
key lists, name patterns, durations, enums, imported from it) so a schema can be
generated from it. tests/config/test_json_schema.py holds the two together:
the same keys, and every config the docs show is accepted by both. What only the
walker refuses (a semantic reason) is listed in docs/schemas.md, and
tests/config/test_schema_semantic.py holds that list to both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pstokens.config.model import NotifyEvent
from pstokens.config.notify import ENV_NAME
from pstokens.config.schema import ACCESS_NAME, DATABASE_NAME, ORGANIZATION_NAME
from pstokens.defaults import TOKEN_KEY
from pstokens.destinations import ENV_REFERENCE

DURATION = r"^[1-9][0-9]*[smhd]$"

# Something besides blanks, and no null character (no shell or file system takes one).
SOME_TEXT = r"^[^\x00]*\S[^\x00]*$"

Duration = Annotated[str, Field(pattern=DURATION,
                                description="a whole number and s, m, h or d, e.g. 90d")]
AccessName = Annotated[str, Field(pattern=f"^{ACCESS_NAME.pattern}$",
                                  description="an access name, e.g. read_branch")]
# A list the walker refuses to hold a name twice is a set here: `uniqueItems`.
AccessList = set[AccessName] | None
DatabaseName = Annotated[str, Field(pattern=f"^{DATABASE_NAME.pattern}$")]
EnvName = Annotated[str, Field(pattern=f"^{ENV_NAME.pattern}$")]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Accesses(_Closed):
    organization: AccessList = Field(None, description="organization accesses")
    databases: dict[DatabaseName, AccessList] | None = Field(
        None, description="database name -> database accesses")


class CommandDestination(_Closed):
    command: Annotated[str, Field(pattern=SOME_TEXT,
                                  description="a command that reads the secret on stdin")]
    timeout: Duration | None = None
    stdin: Literal["env", "json"] | None = None


# A folder written out: pstokens expands no `~` and no `$NAME` (destinations.py).
NOT_EXPANDED = {"not": {"anyOf": [{"pattern": "^~"}, {"pattern": ENV_REFERENCE.pattern}]}}


class DirDestination(_Closed):
    dir: Annotated[str, Field(pattern=SOME_TEXT, json_schema_extra=NOT_EXPANDED,
                              description="a folder receiving <organization>/<key>.env, "
                              "written out (no `~`, no `$NAME`)")]


Destination = CommandDestination | DirDestination


class Token(_Closed):
    ttl: Duration | None = None
    rotate_after: Duration | None = None
    prevent_destroy: bool | None = None
    accesses: Accesses | None = None
    overlap: Duration | None = None
    retire_when_unused: Duration | None = None
    deliver: Annotated[list[Destination], Field(min_length=1)] | None = None


class Unmanaged(_Closed):
    policy: Literal["ignore", "report", "delete"] | None = None
    except_: set[Annotated[str, Field(pattern=r"\S")]] | None = Field(None, alias="except")


class Safety(_Closed):
    max_delete_percent: Annotated[int, Field(ge=0, le=100)] | None = None


class Rules(_Closed):
    forbid_accesses: AccessList = None
    forbid_operations: set[str] | None = None
    require_ttl: bool | None = None
    max_ttl: Duration | None = None
    unused_after: Duration | None = None
    policies: set[Annotated[str, Field(pattern=SOME_TEXT)]] | None = Field(
        None, description="Rego files, relative to the config file and inside its folder")


class NotifyTarget(_Closed):
    url_env: EnvName
    format: Literal["json", "slack"] | None = None
    secret_env: EnvName | None = None
    on: Annotated[set[NotifyEvent], Field(min_length=1)] | None = None


TokenKey = Annotated[str, Field(pattern=f"^{TOKEN_KEY.pattern}$")]


class ConfigDocument(_Closed):
    """pstokens.yaml: the tokens of one PlanetScale organization."""

    model_config = ConfigDict(extra="forbid", title="pstokens.yaml")
    organization: Annotated[str, Field(pattern=f"^{ORGANIZATION_NAME.pattern}$")] | None = Field(
        None, description="the organization (or PLANETSCALE_ORG)")
    tokens: dict[TokenKey, Token | None] = Field(description="token key -> its settings")
    unmanaged: Unmanaged | None = None
    safety: Safety | None = None
    rules: Rules | None = None
    allow_unknown_accesses: bool | None = None
    notify: list[NotifyTarget] | None = None
