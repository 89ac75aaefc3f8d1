"""Hiding a secret in what a delivery command printed, before anyone sees it.

A command may echo what it read: verbatim, folded over several lines, cut
short, reversed, as hex (`od`, `xxd`), base64-encoded (as `kubectl ... -o
yaml` does), base32-, base85- or URL-encoded (every byte escaped, or only
some), in UTF-16 or UTF-32 (`iconv`), and any of those of the reversed
secret. Every run of at least `MIN_RUN` characters of the secret, or of one
of those forms (base64, base32 and base85 at any alignment), is masked, in
any case and with filler between its characters: whitespace, the colons of
colon-separated hex, or any character that does not print (the NUL bytes
that make ASCII into UTF-16 or UTF-32 in either byte order, escapes,
zero-width characters). A gzip stream in base64 (`gzip | base64`, found by
the encoded magic bytes `H4sI`) is unpacked and, if it holds a run of the
secret, masked whole. Matching ignores
case: masking a little more than needed is safe, missing an upper-cased
secret is not. Control characters are escaped so
a command's output cannot drive the terminal.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import zlib
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

MIN_RUN = 8
MASK = "**********"
TAIL_LINES = 10
MAX_LINE = 200
# gzip's first bytes (1f 8b 08) in base64, and the rest of the blob, over lines.
_GZIP_BASE64 = re.compile(r"H4sI[A-Za-z0-9+/]*(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/]+)*={0,2}")
# The most of an unpacked stream looked at: enough for any echo of a secret.
_UNPACKED = 1 << 20


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


def _forms(secret: str) -> list[str]:
    """Every form of `secret` to look for, lower-cased (matching ignores case)."""
    forms: list[str] = []
    for text in (secret, secret[::-1]):
        forms += _encodings(text)
    forms.append(codecs.encode(secret, "rot13"))
    return [f.lower() for f in dict.fromkeys(forms) if f]


def _encodings(secret: str) -> list[str]:
    raw = secret.encode()
    forms = [secret, raw.hex(), quote(secret, safe=""), quote_plus(secret, safe=""),
             "".join(f"%{byte:02x}" for byte in raw)]
    for size, bitwise, encoders in _GROUPED:
        for skip in range(size):
            part = raw[skip:]
            left = len(part) % size
            cut = 0 if not left else 1 if bitwise else left + 1
            for encode in encoders:
                text = encode(part).decode().rstrip("=")
                forms.append(text[: len(text) - cut])
    return forms


def _separator(char: str) -> bool:
    """What a command may put between the characters of a form: whitespace, the
    colons of `xxd`/`openssl`-style hex (`70:73:63`), or anything that does not
    print (the NULs of UTF-16 and UTF-32, escapes, zero-width characters)."""
    return char.isspace() or char == ":" or not char.isprintable()


def _strip(form: str) -> str:
    return "".join(c for c in form if not _separator(c))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every run of a secret (or of one of its encodings) replaced by a mask."""
    secrets = list(secrets)
    return _scrub_flat(_GZIP_BASE64.sub(lambda m: _gzipped(m.group(), secrets), text),
                       secrets)


def _gzipped(blob: str, secrets: list[str]) -> str:
    """A base64 gzip stream: masked whole if what it unpacks to holds a run of a secret
    (a cut stream unpacks as far as it goes)."""
    data = "".join(blob.split())
    try:
        packed = base64.b64decode(data[: len(data) - len(data) % 4] or "")
        unpacked = zlib.decompressobj(wbits=31).decompress(packed, _UNPACKED)
    except (binascii.Error, zlib.error, ValueError):
        return blob
    inner = unpacked.decode("utf-8", "replace")
    return MASK if _scrub_flat(inner, secrets) != inner else blob


def _scrub_flat(text: str, secrets: list[str]) -> str:
    kept = [(i, c) for i, c in enumerate(text) if not _separator(c)]
    flat = "".join(c for _, c in kept).lower()
    hidden = [False] * len(flat)
    for secret in secrets:
        for form in (f for f in (_strip(f) for f in _forms(secret)) if f):
            size = min(MIN_RUN, len(form))
            grams = {form[i : i + size] for i in range(len(form) - size + 1)}
            for start in range(len(flat) - size + 1):
                if flat[start : start + size] in grams:
                    hidden[start : start + size] = [True] * size
    out: list[str] = []
    cursor = 0
    index = 0
    while index < len(flat):
        if not hidden[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(flat) and hidden[end + 1]:
            end += 1
        first, last = kept[index][0], kept[end][0]
        out.append(text[cursor:first] + MASK)
        cursor = last + 1
        index = end + 1
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
