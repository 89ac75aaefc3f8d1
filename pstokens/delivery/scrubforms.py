"""Every form in which a delivery command might echo a secret, for the scrubber to look for.

A command that fails may print what it read, re-encoded: as hex (`od`,
`xxd`), base64, base32 or base85 (at any alignment inside a larger blob),
URL-encoded (every byte or only some), rot13, reversed, upper-cased, or
split into every second (third, fourth) character over several lines. Each
of those is a form here, and so is each form read backwards (`base64 | rev`).
The forms are lower-cased (matching ignores case) and kept per secret, so a
scrubber called for each of many messages builds them once.
"""

from __future__ import annotations

import base64
import codecs
import functools
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

# (bytes a group encodes, whether its last character alone depends on what follows,
# its encoders): the secret may start at any byte of a group in a larger encoded
# blob, so each alignment is a form of its own. In base64 and base32 only the last
# character of an incomplete group also encodes what follows; in base85 a group is
# one number, so all of an incomplete group's characters may.
_GROUPED: tuple[tuple[int, bool, tuple[Callable[[bytes], bytes], ...]], ...] = (
    (3, True, (base64.b64encode, base64.urlsafe_b64encode)),
    (5, True, (base64.b32encode, base64.b32hexencode)),
    (4, False, (base64.b85encode, base64.a85encode)),
)
# A secret split over lines as every `n`th character (`n` of these at once).
_STRIDES = (2, 3, 4)
# A split piece shorter than this is not looked for: in a short secret, it would be
# a letter or two found in every other word.
_SHORTEST_PIECE = 8
# A prefix of lower-case words each followed by `_`, as PlanetScale's `pscale_tkn_`.
_PREFIX = re.compile(r"^(?:[a-z]+_)+")


@functools.lru_cache(maxsize=16)
def forms(secret: str) -> tuple[str, ...]:
    """Every form of `secret` to look for, lower-cased, each also backwards."""
    found: list[str] = []
    for text in (secret, secret[::-1]):
        found += _encodings(text)
    found += [codecs.encode(form, "rot13") for form in list(found)]
    found += [_rot47(secret), _rot47(secret[::-1])]
    found += [piece for stride in _STRIDES for start in range(stride)
              if len(piece := secret[start::stride]) >= _SHORTEST_PIECE]
    found += [form[::-1] for form in found]
    return tuple(f.lower() for f in dict.fromkeys(found) if f)


def _rot47(text: str) -> str:
    return "".join(chr(33 + (ord(c) + 14) % 94) if "!" <= c <= "~" else c for c in text)


def verbatim(secret: str) -> tuple[str, ...]:
    """The secret itself, either way round, lower-cased, less a prefix every token
    of its kind shares (`pscale_tkn_`): what short pieces are looked for in (the
    tail of a dump's line, a word of `fold -w4`), where a piece of the prefix
    would be found in every message about PlanetScale."""
    own = _PREFIX.sub("", secret) or secret
    return (own.lower(), own[::-1].lower())


def _encodings(secret: str) -> list[str]:
    raw = secret.encode()
    found = [secret, raw.hex(), quote(secret, safe=""), quote_plus(secret, safe=""),
             "".join(f"%{byte:02x}" for byte in raw)]
    for size, bitwise, encoders in _GROUPED:
        for skip in range(size):
            part = raw[skip:]
            left = len(part) % size
            cut = 0 if not left else 1 if bitwise else left + 1
            for encode in encoders:
                text = encode(part).decode().rstrip("=")
                found.append(text[: len(text) - cut])
    return found
