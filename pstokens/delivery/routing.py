"""Which destinations a token's secret goes to, all of them or it is undelivered.

A token with `deliver:` in the config uses exactly its list; any other uses
the default the flags chose (`--secrets-dir` or `--secrets-command`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pstokens.config.model import CommandDestination, Config, Destination
from pstokens.delivery.base import NewSecret, SecretSink
from pstokens.delivery.command import CommandSink
from pstokens.delivery.directory import DEFAULT_SECRETS_DIR, DirectorySink
from pstokens.errors import SecretDeliveryError


class AllSinks:
    """Delivers to every sink in order; one failure makes the whole delivery fail."""

    def __init__(self, sinks: Sequence[SecretSink]) -> None:
        self.sinks = tuple(sinks)

    async def deliver(self, item: NewSecret) -> str:
        done: list[str] = []
        for sink in self.sinks:
            try:
                done.append(await sink.deliver(item))
            except SecretDeliveryError as exc:
                if done:
                    exc.message += f" (after it reached {', '.join(done)})"
                    exc.args = (exc.message,)
                raise
        return ", ".join(done)

    async def forget(self, organization: str, key: str, token_id: str) -> list[str]:
        gone: list[str] = []
        for sink in self.sinks:
            gone += await sink.forget(organization, key, token_id)
        return gone


def sink_for(destination: Destination) -> SecretSink:
    if isinstance(destination, CommandDestination):
        return CommandSink(destination.command, destination.timeout)
    return DirectorySink(Path(destination.path))


class PerTokenSink:
    """Each token's own `deliver:` list, or the default for tokens without one."""

    def __init__(self, config: Config, default: SecretSink,
                 default_dir: Path = DEFAULT_SECRETS_DIR) -> None:
        self._default = default
        self._own = {
            key: AllSinks([sink_for(d) for d in spec.deliver])
            for key, spec in config.tokens.items() if spec.deliver is not None
        }
        # Folders a deleted token's file may be in: its own, and the flags'.
        self._dirs = {key: [s for s in sinks.sinks if isinstance(s, DirectorySink)]
                      for key, sinks in self._own.items()}
        fallback = default if isinstance(default, DirectorySink) else DirectorySink(default_dir)
        self._fallback = fallback

    def for_key(self, key: str) -> SecretSink:
        return self._own.get(key, self._default)

    async def deliver(self, item: NewSecret) -> str:
        return await self.for_key(item.key).deliver(item)

    async def forget(self, organization: str, key: str, token_id: str) -> list[str]:
        gone: list[str] = []
        for sink in [*self._dirs.get(key, []), self._fallback]:
            gone += await sink.forget(organization, key, token_id)
        return gone
