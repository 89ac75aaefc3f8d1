"""How config problems quote what the user wrote and suggest what they meant.

The quoting itself is `pstokens.quoting`'s, shared with delivery and the
export; it is named here too so the config's modules find both in one place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pstokens.quoting import quote

__all__ = ["did_you_mean", "quote"]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt `name`, if one is close."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
