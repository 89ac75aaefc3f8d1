"""Dumps of a command's input as numbers, opened to look for a secret inside.

A command may print the bytes it read as numbers rather than text: `od -to1`
or `-tu1` (octal or decimal, offsets first), Python's `list(s.encode())`,
`printf` of each `ord`, one big integer (`int.from_bytes`), or a hex dump
with offsets and a text column (`xxd`, `xxd -c1`, `hexdump -C`, `od -tx1`),
where the offsets break the bytes apart. Each such run is read back into
bytes, and the caller asked whether the text they make holds a secret; if it
does, the whole run is masked (a hex dump: every line of it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# Six or more small numbers in a row, between spaces, commas or brackets.
_NUMBERS = re.compile(r"(?<![\w.])\d{1,3}(?:[\s,;\[\]()]+\d{1,3}){5,}(?![\w.])")
# One big integer: twenty digits or more.
_BIG = re.compile(r"\d{20,}")
# A hex dump's line: an offset, then bytes as two hex digits each (then, perhaps, text).
_DUMP_LINE = re.compile(r"^[ \t]*[0-9a-fA-F]{4,16}:?[ \t]+((?:[0-9a-fA-F]{2}[ \t]?){1,32})"
                        r"(?:[ \t].*)?$", re.MULTILINE)


def mask_dumps(text: str, holds: Callable[[str], bool], mask: str) -> str:
    """`text` with each run of numbers, big integer or hex dump whose bytes, read
    back, `holds` a secret replaced by `mask`."""
    text = _mask_hex_dump(text, holds, mask)
    text = _NUMBERS.sub(lambda m: mask if any(holds(t) for t in _numbers(m.group()))
                        else m.group(), text)
    return _BIG.sub(lambda m: mask if any(holds(t) for t in _big(m.group())) else m.group(),
                    text)


def _numbers(run: str) -> Iterator[str]:
    values = re.findall(r"\d+", run)
    for base in (10, 8):
        try:
            data = bytes(int(v, base) for v in values)
        except ValueError:  # not a byte in this base
            continue
        yield data.decode("utf-8", "replace")


def _big(digits: str) -> Iterator[str]:
    number = int(digits)
    size = (number.bit_length() + 7) // 8
    for order in ("big", "little"):
        yield number.to_bytes(size, order).decode("utf-8", "replace")


def _mask_hex_dump(text: str, holds: Callable[[str], bool], mask: str) -> str:
    """Consecutive hex dump lines, their bytes joined: masked line by line (offsets
    and all) when those bytes hold a secret."""
    lines = list(_DUMP_LINE.finditer(text))
    if len(lines) < 2:
        return text
    data = bytes.fromhex("".join("".join(m.group(1).split()) for m in lines))
    if not holds(data.decode("utf-8", "replace")):
        return text
    out, cursor = [], 0
    for line in lines:
        out.append(text[cursor:line.start()] + mask)
        cursor = line.end()
    return "".join(out) + text[cursor:]
