"""What a destination is given (`NewSecret`) and how it delivers, one destination at a time.

A destination is the unit of delivery: it gets the ID and the secret of one
token together, or keeps what it had. A delivery is staged first (`stage`: a
file is written under a temporary name beside its place), then sent (`send`:
a command runs), then committed (`commit`: the staged file takes its place)
or discarded. A token's destinations are all staged before any is sent, so a
folder that cannot be written stops the delivery before anything changed;
then each is sent and committed in turn, and the caller is told as each one
holds the new token (`reached`), so that state can say who holds which.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pstokens.secret import Secret


@dataclass(frozen=True)
class NewSecret:
    organization: str
    key: str
    token_id: str
    secret: Secret
    name: str | None = None  # the token's PlanetScale name; the key when None

    @property
    def token_name(self) -> str:
        return self.key if self.name is None else self.name


class Staged(Protocol):
    """One destination's delivery, prepared: nothing in use has changed yet."""

    @property
    def where(self) -> str:
        """Where the secret goes, for the user (never the secret)."""
        ...

    @property
    def sent(self) -> bool:
        """Whether the secret has reached its destination (no discard undoes that)."""
        ...

    async def send(self) -> None:
        """Do what cannot be staged (a command runs); raises SecretDeliveryError."""
        ...

    def commit(self) -> None:
        """Put what was staged in place; raises SecretDeliveryError."""
        ...

    def discard(self) -> None:
        """Remove what was staged and not committed; never raises."""
        ...


Reached = Callable[[str], None]  # told each destination that now holds the token


class SecretSink(Protocol):
    """Where new secrets go: one destination, or several (`DirectorySink`, `CommandSink`)."""
    async def deliver(self, item: NewSecret, reached: Reached | None = None) -> str:
        """Deliver the secret to each destination in turn, calling `reached(where)`
        as each one holds it; return where it went (for the user, no secret).

        Raises SecretDeliveryError naming the destination that failed; the
        destinations after it are not tried, and keep what they had.
        """
        ...

    def destinations(self, item: NewSecret) -> tuple[str, ...]:
        """Where `item` goes, in order, as `reached` names them (no secret)."""
        ...

    def folders(self, key: str) -> tuple[str, ...]:
        """The folders `key`'s `.env` file is written in: state records them, so
        the file goes when the token is deleted, even once the key is gone."""
        ...


class StagedSink(ABC):
    """A destination (or several) that delivers by `stage`, `send`, then `commit`."""

    async def deliver(self, item: NewSecret, reached: Reached | None = None) -> str:
        staged = await self.stage(item)
        try:
            await staged.send()
            staged.commit()
        except BaseException:  # a failure, Ctrl-C or a cancelled apply alike
            staged.discard()
            raise
        if reached is not None:
            reached(staged.where)
        return staged.where

    def destinations(self, item: NewSecret) -> tuple[str, ...]:
        return (self.where(item),)

    @abstractmethod
    def where(self, item: NewSecret) -> str:
        """Where `item` goes, as its staged delivery names it."""

    @abstractmethod
    async def stage(self, item: NewSecret) -> Staged:
        """Prepare the delivery; raises SecretDeliveryError naming the destination."""

    def folders(self, key: str) -> tuple[str, ...]:
        return ()
