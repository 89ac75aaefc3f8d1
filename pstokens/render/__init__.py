"""Views of a plan: text for people, JSON for machines, Markdown for CI summaries.

The names below load on first use (PEP 562), so a module that needs one
renderer, or just `words`, does not pay for all of them: `validate` words
rule problems without importing the plan views.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pstokens.render.json import plan_document, render_json
    from pstokens.render.markdown import render_markdown
    from pstokens.render.text import render_text
    from pstokens.render.words import summary_line

_WHERE = {
    "plan_document": "pstokens.render.json",
    "render_json": "pstokens.render.json",
    "render_markdown": "pstokens.render.markdown",
    "render_text": "pstokens.render.text",
    "summary_line": "pstokens.render.words",
}

__all__ = ["plan_document", "render_json", "render_markdown", "render_text", "summary_line"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'pstokens.render' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
