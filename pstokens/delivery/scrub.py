"""Hiding a secret in what a delivery command printed, before anyone sees it.

A command may echo what it read in many forms (scrubforms.py lists them:
verbatim, hex, base64, base32, base85, URL-encoded, rot13, rot47, reversed,
split into every second character, and each of those backwards), folded over
lines, cut short, in UTF-16 or UTF-32, with escapes (`\\x00`, `\\u0000`,
`&#112;`), packed (scrubpacked.py: gzip, zlib, bzip2 or xz in base64 or hex,
or a few characters encoded a line) or as numbers (scrubdumps.py: octal or
decimal bytes, a big integer, a hex dump with offsets). The text is read
twice: once without separators (whitespace, colons, anything that does not
print: the NULs of UTF-16, an escaped NUL), once with letters and digits
alone (`p-s-c-a-l-e`, a JSON list of characters), and that second reading
also every second and third character (`pZsZcZ`, `ppss`). In each reading
every run of at least `MIN_RUN` characters of a form is masked, every run of
`VERBATIM_RUN` of the secret itself, and, within `NEAR` characters of a
masked run, every run of `NEAR_RUN` (the tail a dump's last line leaves).
Short words that are each a piece of the secret (`fold -w4 | nl`) are
masked once there are `PIECES` of them. Matching ignores case: masking a
little more than needed is safe, missing an upper-cased secret is not.
Control characters are escaped so a command's output cannot drive the
terminal. What no reading can undo (a secret encrypted before it is printed)
is beyond masking: docs/delivery.md says not to print what a command read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from pstokens.delivery.scrubdumps import mask_dumps
from pstokens.delivery.scrubforms import forms, verbatim
from pstokens.delivery.scrubpacked import mask_packed

MIN_RUN = 8
VERBATIM_RUN = 5
NEAR_RUN = 4
NEAR = 48
PIECE = 3
PIECES = 3
STRIDES = (2, 3)
MASK = "**********"
TAIL_LINES = 10
MAX_LINE = 200
# An escaped character, as `repr`, JSON and C write them.
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{1,3}))"
                     r"|&#[xX]([0-9a-fA-F]{1,6});|&#([0-9]{1,7});")
# A word that may be a piece of a secret: letters, digits, `_` and `-`.
_WORD = re.compile(r"[A-Za-z0-9_-]{3,}")

# One character of the text as read: what it stands for, and where it stands.
Unit = tuple[str, int, int]
Grams = dict[int, frozenset[str]]


def _separator(char: str) -> bool:
    """What a command may put between the characters of a form: whitespace, the
    colons of `xxd`/`openssl`-style hex (`70:73:63`), or anything that does not
    print (the NULs of UTF-16 and UTF-32, escapes, zero-width characters)."""
    return char.isspace() or char == ":" or not char.isprintable()


def _alphanumeric(char: str) -> bool:
    return char.isalnum()


# The two readings: which characters each keeps, of the text and of the forms.
_READINGS: tuple[Callable[[str], bool], ...] = (lambda c: not _separator(c), _alphanumeric)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every run of a secret (or of one of its forms) replaced by a mask."""
    found = tuple(s for s in secrets if s)
    if not found:
        return text

    def holds(inner: str) -> bool:
        return _scrub_flat(inner, found) != inner

    text = mask_packed(text, holds, MASK)
    text = mask_dumps(text, holds, MASK)
    return _scrub_flat(text, found)


def _scrub_flat(text: str, secrets: tuple[str, ...]) -> str:
    units = _units(text)
    spans: list[tuple[int, int]] = []
    for reading in range(len(_READINGS)):
        keep = _READINGS[reading]
        view = [u for u in units if keep(u[0])]
        flat = "".join(u[0] for u in view).lower()
        hidden = _hidden(flat, _grams(secrets, reading, MIN_RUN, every_form=True))
        for start, value in enumerate(
                _hidden(flat, _grams(secrets, reading, VERBATIM_RUN, every_form=False))):
            hidden[start] = hidden[start] or value
        if any(hidden):
            _hide_near(flat, hidden, _grams(secrets, reading, NEAR_RUN, every_form=False))
        spans += _runs(view, hidden)
        if reading == len(_READINGS) - 1:  # letters and digits: every 2nd, 3rd of them too
            spans += _strided(view, flat, secrets)
    spans += _pieces(text, secrets)
    return _masked(text, spans)


def _strided(view: list[Unit], flat: str, secrets: tuple[str, ...]) -> list[tuple[int, int]]:
    """The secret with a character (or two) between each of its own (`pZsZcZ`, each
    character doubled): read every second and third character of the text."""
    grams = _grams(secrets, len(_READINGS) - 1, MIN_RUN, every_form=False)
    spans: list[tuple[int, int]] = []
    for stride in STRIDES:
        for phase in range(stride):
            hidden = _hidden(flat[phase::stride], grams)
            if any(hidden):
                picked = view[phase::stride]
                spans += [(a, b + stride - 1 if b < len(flat) else b)
                          for a, b in _runs(picked, hidden)]
    return spans


def _pieces(text: str, secrets: tuple[str, ...]) -> list[tuple[int, int]]:
    """Short words that are each a piece of a secret (`fold -w4 | nl`): one could be
    chance, `PIECES` of them are not, and they are all masked."""
    pieces = [verbatim(s)[0] for s in secrets]
    found = [m for m in _WORD.finditer(text)
             if any(m.group().lower() in s for s in pieces)]
    if len({m.group().lower() for m in found}) < PIECES:
        return []
    return [m.span() for m in found]


def _units(text: str) -> list[Unit]:
    """Each character of `text`, an escape read as the character it stands for."""
    units: list[Unit] = []
    cursor = 0
    for match in _ESCAPE.finditer(text):
        units += [(c, i, i + 1) for i, c in enumerate(text[cursor:match.start()], cursor)]
        hexa = match.group(1) or match.group(2) or match.group(3) or match.group(5)
        code = (int(hexa, 16) if hexa else int(match.group(4), 8) if match.group(4)
                else int(match.group(6)))
        char = chr(code) if code <= 0x10FFFF else "\ufffd"
        units.append((char, match.start(), match.end()))
        cursor = match.end()
    units += [(c, i, i + 1) for i, c in enumerate(text[cursor:], cursor)]
    return units


@functools.lru_cache(maxsize=64)
def _grams(secrets: tuple[str, ...], reading: int, size: int, *, every_form: bool) -> Grams:
    """The runs of `size` characters (a shorter form whole) of every form of
    `secrets` (or of the secrets themselves), as the reading keeps them, by length."""
    keep = _READINGS[reading]
    by_length: dict[int, set[str]] = {}
    for secret in secrets:
        for form in forms(secret) if every_form else verbatim(secret):
            kept = "".join(c for c in form if keep(c))
            length = min(size, len(kept))
            if length:
                by_length.setdefault(length, set()).update(
                    kept[i : i + length] for i in range(len(kept) - length + 1))
    return {length: frozenset(grams) for length, grams in by_length.items()}


def _hidden(flat: str, grams: Grams) -> list[bool]:
    hidden = [False] * len(flat)
    for length, wanted in grams.items():
        for start in range(len(flat) - length + 1):
            if flat[start : start + length] in wanted:
                hidden[start : start + length] = [True] * length
    return hidden


def _hide_near(flat: str, hidden: list[bool], grams: Grams) -> None:
    """Shorter runs of a form within `NEAR` characters of a masked run, hidden too."""
    near = [False] * len(flat)
    for index, masked in enumerate(hidden):
        if masked:
            near[max(0, index - NEAR) : index + NEAR + 1] = [True] * (
                min(len(flat), index + NEAR + 1) - max(0, index - NEAR))
    for length, wanted in grams.items():
        for start in range(len(flat) - length + 1):
            if near[start] and flat[start : start + length] in wanted:
                hidden[start : start + length] = [True] * length


def _runs(view: list[Unit], hidden: list[bool]) -> list[tuple[int, int]]:
    """Where in the text each run of hidden characters of a reading stands."""
    spans = []
    index = 0
    while index < len(hidden):
        if not hidden[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(hidden) and hidden[end + 1]:
            end += 1
        spans.append((view[index][1], view[end][2]))
        index = end + 1
    return spans


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if end <= cursor:
            continue
        if start < cursor:  # overlaps the mask before it: that mask grows
            cursor = end
            continue
        out.append(text[cursor:start] + MASK)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def printable(line: str) -> str:
    """One line, control characters escaped, cut to `MAX_LINE` characters."""
    shown = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in line
    )
    return shown if len(shown) <= MAX_LINE else shown[: MAX_LINE - 3] + "..."


def last_lines(data: bytes, secrets: Iterable[str], count: int = TAIL_LINES) -> list[str]:
    """The last `count` non-empty lines of `data`, scrubbed, then made printable."""
    text = scrub(data.decode("utf-8", "replace"), list(secrets))
    lines = [line for line in text.splitlines() if line.strip()]
    return [printable(line) for line in lines[-count:]]
