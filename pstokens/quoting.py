"""How a message quotes a value someone wrote: a config value, a command, a key.

Kept in one place so every message quotes values the same, safe way: a value
can hold control characters that must not reach a terminal raw. The config's
problems, delivery's labels and the export's comments all quote through it.
"""

from __future__ import annotations

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


def shown(value: object, limit: int = 40) -> str:
    """A value read from an untrusted file (a saved plan, a state), for a message:
    a string quoted and, if long, cut inside its quotes (`"ci\\x1b[2J..."`); a
    number, true, false or null as JSON writes it; anything else by its kind."""
    if isinstance(value, str):
        return quote(value, limit)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return quote(str(value), limit)[1:-1]
    return f"a {type(value).__name__}"
