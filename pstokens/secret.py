"""A type for token secrets that cannot be printed by accident.

`str()`, `repr()`, f-strings, logging and pydantic dumps all show a mask; only
`reveal()` gives the plaintext, and only the secret deliverers call it.
"""

from __future__ import annotations

from typing import Final

_MASK: Final = "**********"


class Secret:
    """A plaintext secret, hidden from every way of printing it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")
