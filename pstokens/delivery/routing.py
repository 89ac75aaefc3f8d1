"""Which destinations a token's secret goes to, all of them or it is undelivered.

A token with `deliver:` in the config uses exactly its list; any other uses
the default the flags chose (`--secrets-dir` or `--secrets-command`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pstokens.config.model import CommandDestination, Destination
from pstokens.delivery.base import NewSecret, SecretSink
from pstokens.delivery.command import CommandSink
from pstokens.delivery.directory import DirectorySink
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

    def folders(self, key: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for sink in self.sinks for f in sink.folders(key)))


def sink_for(destination: Destination) -> SecretSink:
    if isinstance(destination, CommandDestination):
        return CommandSink(destination.command, destination.timeout)
    return DirectorySink(Path(destination.path))


class PerTokenSink:
    """Each token's own `deliver:` list, or the default for tokens without one."""

    def __init__(
        self, own: Mapping[str, Sequence[Destination]], default: SecretSink
    ) -> None:
        """`own` maps a key to its `deliver:` destinations, as the plan carries them."""
        self._default = default
        self._own = {key: AllSinks([sink_for(d) for d in entries]) for key, entries in own.items()}

    def for_key(self, key: str) -> SecretSink:
        return self._own.get(key, self._default)

    async def deliver(self, item: NewSecret) -> str:
        return await self.for_key(item.key).deliver(item)

    def folders(self, key: str) -> tuple[str, ...]:
        return self.for_key(key).folders(key)
