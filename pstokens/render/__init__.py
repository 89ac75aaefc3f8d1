"""Views of a plan: text for people, JSON for machines, Markdown for CI summaries."""

from pstokens.render.markdown import render_markdown
from pstokens.render.text import render_text, summary_line

__all__ = ["render_markdown", "render_text", "summary_line"]
