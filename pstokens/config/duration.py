"""Durations as pstokens.yaml writes them (`90d`, `12h`), turned into seconds.

A unit is always required, so `ttl: 90` is never silently read as 90 seconds.
"""

from __future__ import annotations

import re

from pstokens.config.wording import quote

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"([1-9][0-9]*)([smhd])")
# A century: beyond any sane token lifetime, and it keeps expiry dates well
# inside what datetime arithmetic can hold.
MAX_DURATION_SECONDS = 36500 * 86400


def parse_duration(text: str) -> int:
    """Seconds in `text` ("90d" -> 7776000); ValueError saying the accepted form."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        shown = quote(text) if isinstance(text, str) else repr(text)
        raise ValueError(
            f"bad duration {shown}: use a positive whole number followed by s, m, h or d, e.g. 90d"
        )
    number, unit = match.groups()
    if len(number) > 12 or int(number) * _UNITS[unit] > MAX_DURATION_SECONDS:
        raise ValueError(f"duration {quote(text)} is too long: at most 36500d (100 years)")
    return int(number) * _UNITS[unit]


_LARGEST_FIRST = (("d", 86400), ("h", 3600), ("m", 60))


def format_duration(seconds: int) -> str:
    """The shortest exact way to write `seconds` (7776000 -> "90d")."""
    for unit, size in _LARGEST_FIRST:
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def format_rough(seconds: int) -> str:
    """`seconds` in its largest whole unit, for people (245 -> "4m", 90000 -> "1d")."""
    for unit, size in _LARGEST_FIRST:
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
