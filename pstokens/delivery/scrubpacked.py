"""Encoded and compressed blobs in a command's output, opened to look for a secret inside.

A command may print what it read packed: `gzip | base64`, zlib, bzip2 or xz
in base64 or hex, or text base64-encoded twice over. Every long run that
reads as base64, base32 or hex is decoded, unpacked as far as it goes (a cut
stream gives what it holds up to the cut), and the caller asked whether the
text inside holds a secret; if it does, the whole run is masked.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import lzma
import re
import zlib
from collections.abc import Callable, Iterator
from functools import partial

# A run that may be base64 (either alphabet), base32 or hex, over lines as
# `base64` and `xxd -p` fold it, or as a loop encoding a few characters a line
# writes it (shorter lines, two at least).
_LINE = r"[ \t]*\r?\n[ \t]*[A-Za-z0-9+/_=-]{4,}"
_RUN = re.compile(rf"(?:[A-Za-z0-9+/_=-]{{16,}}|[A-Za-z0-9+/_=-]{{8,}}(?={_LINE}))(?:{_LINE})*")
_HEX = re.compile(r"[0-9a-fA-F]+")
# The most of an unpacked stream looked at: enough for any echo of a secret.
_UNPACKED = 1 << 20


def mask_packed(text: str, holds: Callable[[str], bool], mask: str) -> str:
    """`text` with each encoded run whose decoded (and unpacked) content `holds`
    a secret replaced by `mask`: the run as it is, read backwards (`base64 | rev`),
    or line by line (each line encoded alone)."""
    return _RUN.sub(lambda m: mask if any(holds(t) for t in _readings(m.group()))
                    else m.group(), text)


def _readings(blob: str) -> Iterator[str]:
    data = "".join(blob.split())
    yield from _opened(data)
    yield from _opened(data[::-1])
    lines = blob.split()
    if len(lines) > 1:
        for decode in _DECODERS:
            yield from _texts(b"".join(b for line in lines for b in _attempt(
                partial(decode, line))))


def _opened(data: str) -> Iterator[str]:
    for raw in _decoded(data):
        for inner in (raw, *_unpacked(raw)):
            yield from _texts(inner)


def _texts(raw: bytes) -> Iterator[str]:
    """`raw` read as text: UTF-8, and EBCDIC (`dd conv=ebcdic`)."""
    if raw:
        yield raw.decode("utf-8", "replace")
        yield raw.decode("cp500", "replace")


def _decoded(data: str) -> Iterator[bytes]:
    for decode in _DECODERS:
        yield from _attempt(partial(decode, data))


def _hex(data: str) -> bytes:
    if not _HEX.fullmatch(data):
        raise ValueError("not hex")
    return bytes.fromhex(data[: len(data) - len(data) % 2])


def _base64(data: str, altchars: bytes = b"+/") -> bytes:
    """`data` decoded, padded as far as it goes (a cut run decodes up to the cut)."""
    bare = data.rstrip("=")
    if len(bare) % 4 == 1:  # a lone character encodes no whole byte
        bare = bare[:-1]
    return base64.b64decode(bare + "=" * (-len(bare) % 4), altchars=altchars, validate=True)


def _base32(data: str) -> bytes:
    bare = data.rstrip("=").upper()
    while len(bare) % 8 in (1, 3, 6):  # lengths no whole byte ends at
        bare = bare[:-1]
    return base64.b32decode(bare + "=" * (-len(bare) % 8))


# Each way a run may be encoded, as a function of the run that raises when it is not.
_DECODERS: tuple[Callable[[str], bytes], ...] = (
    _hex, _base64, partial(_base64, altchars=b"-_"), _base32)


def _unpacked(raw: bytes) -> Iterator[bytes]:
    """What `raw` unpacks to, as gzip or zlib, raw deflate, bzip2 or xz; nothing
    for a format it is not."""
    for wbits in (47, -15):  # 47: a gzip or a zlib header, told apart by it
        yield from _attempt(partial(_inflate, raw, wbits))
    yield from _attempt(lambda: bz2.BZ2Decompressor().decompress(raw, _UNPACKED))
    yield from _attempt(lambda: lzma.LZMADecompressor().decompress(raw, _UNPACKED))


def _inflate(raw: bytes, wbits: int) -> bytes:
    return zlib.decompressobj(wbits=wbits).decompress(raw, _UNPACKED)


def _attempt(step: Callable[[], bytes]) -> Iterator[bytes]:
    """What `step` makes; nothing when the bytes are not what it reads."""
    try:
        made = step()
    except (binascii.Error, ValueError, zlib.error, OSError, EOFError, lzma.LZMAError):
        return
    yield made
