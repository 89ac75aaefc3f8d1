"""Verification of new tokens, made quick for the suites that refuse them on purpose.

A refused new token is retried for up to 30 s before apply gives it up; the
suites that refuse tokens on purpose give up at once instead of waiting it out.
"""

from __future__ import annotations

import pytest

from pstokens.engine.applying import verify


def make_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a refused verification give up at once (no real waiting)."""
    monkeypatch.setattr(verify, "PATIENCE", 0.0)
