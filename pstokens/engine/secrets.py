"""Moved to `pstokens.delivery`; kept so existing imports keep working."""

from pstokens.delivery import DEFAULT_SECRETS_DIR, CommandSink, DirectorySink, NewSecret, SecretSink

__all__ = ["DEFAULT_SECRETS_DIR", "CommandSink", "DirectorySink", "NewSecret", "SecretSink"]
