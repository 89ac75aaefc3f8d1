"""What a destination is given (`NewSecret`) and what it must do (`SecretSink`)."""

from __future__ import annotations

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


class SecretSink(Protocol):
    async def deliver(self, item: NewSecret) -> str:
        """Deliver the secret; return where it went (for the user, no secret).

        Raises SecretDeliveryError naming the destination when it fails.
        """
        ...

    def folders(self, key: str) -> tuple[str, ...]:
        """The folders `key`'s `.env` file is written in: state records them, so
        the file goes when the token is deleted, even once the key is gone."""
        ...
