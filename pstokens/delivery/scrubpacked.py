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
# `base64` and `xxd -p` fold it.
_RUN = re.compile(r"[A-Za-z0-9+/_=-]{16,}(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/_=-]{4,})*")
_HEX = re.compile(r"[0-9a-fA-F]+")
# The most of an unpacked stream looked at: enough for any echo of a secret.
_UNPACKED = 1 << 20


def mask_packed(text: str, holds: Callable[[str], bool], mask: str) -> str:
    """`text` with each encoded run whose decoded (and unpacked) content `holds`
    a secret replaced by `mask`."""
    return _RUN.sub(lambda m: mask if any(holds(t) for t in _opened(m.group()))
                    else m.group(), text)


def _opened(blob: str) -> Iterator[str]:
    data = "".join(blob.split())
    for raw in _decoded(data):
        for inner in (raw, *_unpacked(raw)):
            if inner:
                yield inner.decode("utf-8", "replace")


def _decoded(data: str) -> Iterator[bytes]:
    if _HEX.fullmatch(data):
        yield bytes.fromhex(data[: len(data) - len(data) % 2])
    bare = data.rstrip("=")
    usable = bare[: len(bare) - len(bare) % 4]
    for altchars in (b"+/", b"-_"):
        yield from _attempt(partial(base64.b64decode, usable, altchars=altchars, validate=True))
    yield from _attempt(lambda: base64.b32decode(bare.upper()[: len(bare) - len(bare) % 8]))


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
