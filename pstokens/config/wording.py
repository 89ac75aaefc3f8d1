"""How config problems quote what the user wrote and suggest what they meant.

Kept in one place so every message quotes values the same, safe way: a value
from the file can hold control characters that must not reach a terminal raw.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_MAX_SHOWN = 60


def quote(text: str, limit: int | None = _MAX_SHOWN) -> str:
    """`text` in double quotes, escaped, and shortened if longer than `limit`.

    Every character that is not printable (control, line and paragraph
    separators, bidi and other format characters) is shown as its escape.
    """
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return '"' + "".join(out) + '"'


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt `name`, if one is close."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
