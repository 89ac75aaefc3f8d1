"""What a destination is given (`NewSecret`) and how it delivers, all or nothing.

A delivery is staged first (`stage`: a file is written under a temporary name
beside its place), then sent (`send`: a command runs; a staged file waits),
then committed (`commit`: the staged file takes its place) or discarded. So a
token with several destinations changes none of the files in use until every
command has succeeded, whatever their order in the config, and a run killed
half-way leaves the working files as they were.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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


class SecretSink(Protocol):
    async def deliver(self, item: NewSecret) -> str:
        """Deliver the secret everywhere or nowhere that can be undone; return
        where it went (for the user, no secret).

        Raises SecretDeliveryError naming the destination when it fails.
        """
        ...

    def folders(self, key: str) -> tuple[str, ...]:
        """The folders `key`'s `.env` file is written in: state records them, so
        the file goes when the token is deleted, even once the key is gone."""
        ...


class StagedSink(ABC):
    """A destination (or several) that delivers by `stage`, `send`, then `commit`."""

    async def deliver(self, item: NewSecret) -> str:
        staged = await self.stage(item)
        try:
            await staged.send()
            staged.commit()
        except BaseException:  # a failure, Ctrl-C or a cancelled apply alike
            staged.discard()
            raise
        return staged.where

    @abstractmethod
    async def stage(self, item: NewSecret) -> Staged:
        """Prepare the delivery; raises SecretDeliveryError naming the destination."""

    def folders(self, key: str) -> tuple[str, ...]:
        return ()
