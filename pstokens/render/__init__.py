"""Views of a plan: text for people, JSON for machines, Markdown for CI summaries."""

from pstokens.render.json import plan_document, render_json
from pstokens.render.markdown import render_markdown
from pstokens.render.text import render_text
from pstokens.render.words import summary_line

__all__ = ["plan_document", "render_json", "render_markdown", "render_text", "summary_line"]
