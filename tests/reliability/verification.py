"""Verification of new tokens, made quick for the suites that refuse them on purpose.

A refused new token is retried for up to 30 s before apply gives it up; the
suites move that window's clock instead of waiting it out.
"""

from __future__ import annotations

import pytest


def make_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a refused verification give up at once (no real waiting)."""
    del monkeypatch  # set once the applier's verification window is injectable
