"""Where a new token's one-time secret goes: folders, commands, or several of both.

Each destination is a small class behind the `SecretSink` protocol; `routing`
picks a token's own `deliver:` list or the flags' default, and a token counts
as delivered only when every one of its destinations succeeded.
"""

from pstokens.defaults import DEFAULT_SECRETS_DIR
from pstokens.delivery.base import NewSecret, SecretSink
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
    "forget_files",
    "sink_for",
]
