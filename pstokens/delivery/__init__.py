"""Where a new token's one-time secret goes: folders, commands, or several of both.

Each destination is a small `StagedSink`: it stages what it can (a file under
a temporary name), sends what it cannot (a command runs), then commits or
discards. `routing` picks a token's own `deliver:` list or the flags' default,
and a token counts as delivered only when every one of its destinations
succeeded; each destination holds one whole token, old or new.
"""

from pstokens.defaults import DEFAULT_SECRETS_DIR
from pstokens.delivery.base import NewSecret, SecretSink, Staged, StagedSink
from pstokens.delivery.command import CommandSink
from pstokens.delivery.directory import DirectorySink, forget_files
from pstokens.delivery.routing import AllSinks, PerTokenSink, sink_for

__all__ = [
    "DEFAULT_SECRETS_DIR",
    "AllSinks",
    "CommandSink",
    "DirectorySink",
    "NewSecret",
    "PerTokenSink",
    "SecretSink",
    "Staged",
    "StagedSink",
    "forget_files",
    "sink_for",
]
