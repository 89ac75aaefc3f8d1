"""Masking a credential too short to look for inside words.

pstokens masks its own credentials wherever it shows text it did not write (a
policy's messages, an API error body). `delivery/scrub.py` masks every run of
a secret, and of its encodings, of `SHORT` characters or of the whole secret
when it is shorter: for `PLANETSCALE_API_KEY=k` or `abc` that is a letter or two
in nearly every word, and a message comes out as `thir********** lives 200
**********ys`. A credential that short is no secret worth hunting in encodings,
and hiding it inside other words hides the message instead; so it is masked
only where it stands as a whole word, in any case. Longer ones are masked as
before, in any encoding.

Kept apart from `delivery/scrub.py` so that `api/` (below `delivery/`) can use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# delivery/scrub.py's MIN_RUN, which api/ cannot import (tests/delivery/test_scrub.py
# holds them equal): a credential shorter than this is masked as a whole word only.
SHORT = 8


def short(secrets: Iterable[str]) -> tuple[list[str], list[str]]:
    """`secrets` parted: those of at least `SHORT` characters, then the shorter ones."""
    found: tuple[list[str], list[str]] = ([], [])
    for secret in secrets:
        if secret:
            found[len(secret) < SHORT].append(secret)
    return found


def mask_words(text: str, secrets: Iterable[str], mask: str) -> str:
    """`text` with each of `secrets` replaced by `mask` where it stands as a whole word
    (no letter, digit or underscore either side), in any case."""
    words = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)",
                         re.IGNORECASE)
    return pattern.sub(lambda _: mask, text)
