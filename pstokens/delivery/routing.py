"""Which destinations a token's secret goes to, all of them or it is undelivered.

A token with `deliver:` in the config uses exactly its list; any other uses
the default the flags chose (`--secrets-dir` or `--secrets-command`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pstokens.config.model import CommandDestination, Destination
from pstokens.delivery.base import NewSecret, SecretSink, Staged, StagedSink
from pstokens.delivery.command import CommandSink
from pstokens.delivery.directory import DirectorySink
from pstokens.errors import SecretDeliveryError


class AllSinks(StagedSink):
    """Every sink or none: all are staged, then sent in order, then committed.

    Files are staged before any command runs, so their order in the config
    does not matter: a failing command leaves every working file as it was.
    """

    def __init__(self, sinks: Sequence[StagedSink]) -> None:
        self.sinks = tuple(sinks)

    async def stage(self, item: NewSecret) -> Staged:
        staged: list[Staged] = []
        try:
            for sink in self.sinks:
                staged.append(await sink.stage(item))
        except BaseException:
            for done in staged:
                done.discard()
            raise
        return _AllStaged(staged)

    def folders(self, key: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for sink in self.sinks for f in sink.folders(key)))


class _AllStaged:
    def __init__(self, staged: Sequence[Staged]) -> None:
        self._staged = tuple(staged)
        self.where = ", ".join(s.where for s in self._staged)

    @property
    def sent(self) -> bool:
        return all(s.sent for s in self._staged)

    async def send(self) -> None:
        for one in self._staged:
            try:
                await one.send()
            except SecretDeliveryError as exc:
                _name_reached(exc, self._staged)
                raise

    def commit(self) -> None:
        for one in self._staged:
            try:
                one.commit()
            except SecretDeliveryError as exc:
                _name_reached(exc, self._staged)
                raise

    def discard(self) -> None:
        for one in self._staged:
            one.discard()


def _name_reached(exc: SecretDeliveryError, staged: Sequence[Staged]) -> None:
    """Say where the secret of a token left undelivered went all the same."""
    reached = [s.where for s in staged if s.sent]
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

    async def deliver(self, item: NewSecret) -> str:
        return await self.for_key(item.key).deliver(item)

    def folders(self, key: str) -> tuple[str, ...]:
        return self.for_key(key).folders(key)
