"""Which destinations a token's secret goes to, and in which order.

A token with `deliver:` in the config uses exactly its list; any other uses
the default the flags chose (`--secrets-dir` or `--secrets-command`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pstokens.delivery.base import NewSecret, Reached, SecretSink, Staged, StagedSink
from pstokens.delivery.command import CommandSink
from pstokens.delivery.directory import DirectorySink
from pstokens.destinations import CommandDestination, Destination
from pstokens.errors import SecretDeliveryError, UsageError
from pstokens.expected import expect, given


class AllSinks:
    """Several destinations, each its own unit: all staged, then each sent and
    committed in the config's order until one fails.

    Files are staged before any command runs, so a folder that cannot be
    written stops the delivery before any destination changed. A failure
    later leaves the destinations before it holding the new token (each was
    told through `reached`) and those after it as they were.
    """

    def __init__(self, sinks: Sequence[StagedSink]) -> None:
        if isinstance(sinks, str | bytes) or not isinstance(sinks, Iterable):
            raise UsageError(f"AllSinks sinks must be a list of sinks (DirectorySink, "
                             f"CommandSink), not {given(sinks)}")
        self.sinks = tuple(sinks)
        for sink in self.sinks:
            expect(sink, StagedSink, "AllSinks sinks", "a list of sinks (DirectorySink, "
                   "CommandSink)")

    async def deliver(self, item: NewSecret, reached: Reached | None = None) -> str:
        staged: list[Staged] = []
        done: list[str] = []
        try:
            for sink in self.sinks:
                staged.append(await sink.stage(item))
            for one in staged:
                try:
                    await one.send()
                    one.commit()
                except SecretDeliveryError as exc:
                    _name_reached(exc, done)
                    raise
                done.append(one.where)
                if reached is not None:
                    reached(one.where)
        finally:  # a failure, Ctrl-C or a cancelled apply alike: nothing staged is left
            for one in staged:
                one.discard()
        return ", ".join(done)

    def destinations(self, item: NewSecret) -> tuple[str, ...]:
        return tuple(sink.where(item) for sink in self.sinks)

    def folders(self, key: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for sink in self.sinks for f in sink.folders(key)))


def _name_reached(exc: SecretDeliveryError, reached: Sequence[str]) -> None:
    """Say where the secret went all the same before the destination that failed."""
    if reached:
        exc.message += f" (after it reached {', '.join(reached)})"
        exc.args = (exc.message,)


def sink_for(destination: Destination) -> StagedSink:
    if isinstance(destination, CommandDestination):
        return CommandSink(destination.command, destination.timeout, stdin=destination.stdin)
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

    async def deliver(self, item: NewSecret, reached: Reached | None = None) -> str:
        return await self.for_key(item.key).deliver(item, reached)

    def destinations(self, item: NewSecret) -> tuple[str, ...]:
        return self.for_key(item.key).destinations(item)

    def folders(self, key: str) -> tuple[str, ...]:
        return self.for_key(key).folders(key)
